/**
 * Validates a service's environment with the service's own loaders, the ones
 * it runs at start-up: what passes here also passes there. (The few
 * app-specific numbers beyond these schemas, e.g. INSIGHT_PARALLEL_SIZE,
 * come straight from libs/config's SERVICES.)
 */
import { z } from 'zod';
import { ConfigError, loadConfig, serviceDefinition, type ServiceName } from '@voc/config';
import { loadGatewayConfig } from '@voc/gateway/src/config';
import { llmConfigFromEnv } from '@voc/llm/src/config';
import { simConfigFromEnv } from '@voc/llm-sim/src/config';
import { pipelineEnv } from '@voc/pipeline/src/settings';
import { limiterConfigFromEnv } from '@voc/rate-limiter/src/env';
import { workerEnv } from '@voc/worker/src/config';

const workerSchema = z.object({ ...workerEnv, ...pipelineEnv });

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
  else attempt(() => loadConfig(name, workerSchema, env));
  if (def.llm) {
    attempt(() => llmConfigFromEnv(env, name));
    attempt(() => limiterConfigFromEnv(env, name));
  }
  return [...new Set(problems)];
}
