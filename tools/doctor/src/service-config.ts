/**
 * Validates a service's environment with the service's own loaders, the ones
 * it runs at start-up: what passes here also passes there.
 */
import { z } from 'zod';
import { ConfigError, loadServiceConfig, serviceDefinition, type ServiceName } from '@voc/config';
import { loadGatewayConfig } from '@voc/gateway/config';
import { llmConfigFromEnv } from '@voc/llm';
import { simConfigFromEnv } from '@voc/llm-sim/config';
import { SERVICE_SETTINGS, type WorkerServiceName } from '@voc/pipeline';
import { limiterConfigFromEnv } from '@voc/rate-limiter';
import { workerEnv } from '@voc/worker';

/** Each problem as "VARIABLE: message"; [] when the service would start with `env`. */
export function serviceConfigProblems(name: ServiceName, env: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const attempt = (load: () => unknown) => {
    try {
      load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `${p.variable}: ${p.message}`));
    }
  };
  const def = serviceDefinition(name);
  if (name === 'gateway') attempt(() => loadGatewayConfig(env));
  else if (name === 'llm-sim') attempt(() => simConfigFromEnv(env));
  else {
    const worker = name as WorkerServiceName;
    attempt(() => loadServiceConfig(worker, z.object({ ...workerEnv, ...SERVICE_SETTINGS[worker] }), env));
  }
  if (def.llm) {
    attempt(() => llmConfigFromEnv(env, name));
    attempt(() => limiterConfigFromEnv(env, name));
  }
  return [...new Set(problems)];
}
