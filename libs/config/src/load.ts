import { z } from 'zod';
import { serviceEnvironment, type ServiceName } from './services';

/** Thrown at start-up when the environment does not satisfy a service's schema. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: { variable: string; message: string }[],
  ) {
    super(
      `${service}: invalid configuration:\n` +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` against a zod object schema whose keys are environment variable
 * names. Every problem is reported at once, each naming its variable, so an
 * operator fixes the whole environment in one go.
 */
export function loadConfig<S extends z.ZodObject<z.ZodRawShape>>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(setVariables(env));
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((i) => ({
      variable: String(i.path[0] ?? '(root)'),
      message: i.message,
    })),
  );
}

/**
 * loadConfig for one service of SERVICES: what its definition sets for
 * `npm start` (role 'single': its port, CONCURRENCY, DB_POOL_SIZE, its own
 * settings) is the default, the environment overrides it. So a service run
 * alone with no environment behaves as under `npm start`, and compose (which
 * writes the same definitions per host role) only overrides.
 */
export function loadServiceConfig<S extends z.ZodObject<z.ZodRawShape>>(
  name: ServiceName,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  return loadConfig(name, schema, { ...serviceEnvironment(name), ...setVariables(env) });
}

/** The variables that are set: empty strings count as unset (compose files often pass `VAR=` through). */
function setVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') set[k] = v;
  return set;
}
