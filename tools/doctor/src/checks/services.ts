/**
 * The environment each service of the host would get from compose (its
 * compose entry interpolated with the host's variables), validated by the
 * service's own loaders.
 */
import { placement, servicesOn, type DeployRole } from '@voc/config';
import { appEnvironment, interpolateEnvironment } from '@voc/infra';
import { fail, ok, type CheckResult } from '../report';
import { serviceConfigProblems } from '../service-config';

const SHOWN = ['CONCURRENCY', 'INSIGHT_PARALLEL_SIZE', 'THEME_PARALLEL_SIZE', 'LEARNING_BACKUP', 'MAX_API_RPS', 'LLM_MODEL'];

export function checkServiceConfigs(role: DeployRole, vars: Readonly<Record<string, string | undefined>>): CheckResult[] {
  // Profile services (the simulator) only run when asked for; they are not part of the host's fleet.
  return servicesOn(role)
    .filter((name) => !placement(name, role)!.profile)
    .map((name) => {
      const check = `config ${name}`;
      const { env, missing } = interpolateEnvironment(appEnvironment(name, role), vars);
      if (missing.length) return fail(check, `compose would refuse to start it: ${missing.map((m) => m.variable).join(', ')} unset`);
      const problems = serviceConfigProblems(name, env);
      if (problems.length) return fail(check, problems.join('; '));
      return ok(check, SHOWN.filter((k) => env[k]).map((k) => `${k} ${env[k]}`).join(', ') || 'valid');
    });
}
