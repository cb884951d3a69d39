import { z } from 'zod';

/**
 * `schema` with `def` as its default, or required when `def` is undefined:
 * required fields take their default from the service's SERVICES entry
 * (loadServiceConfig), so that a default is written down once.
 */
function withDefault<S extends z.ZodType>(schema: S, def: z.input<S> | undefined): S | z.ZodDefault<S> {
  return def === undefined ? schema : schema.default(def as never);
}

/** Reusable zod fields for environment variables (all values arrive as strings). */
export const env = {
  int: (def?: number, min = 0, max = Number.MAX_SAFE_INTEGER) => withDefault(z.coerce.number().int().min(min).max(max), def),
  num: (def?: number, min = 0) => withDefault(z.coerce.number().min(min), def),
  port: (def?: number) => withDefault(z.coerce.number().int().min(1).max(65535), def),
  bool: (def?: boolean) =>
    withDefault(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' }), def === undefined ? undefined : def ? 'true' : 'false').transform(
      (v) => v === 'true' || v === '1' || v === 'yes',
    ),
  url: (protocols: string[], def?: string) => {
    const s = z
      .string()
      .refine((v) => protocols.some((p) => v.startsWith(`${p}://`)), {
        message: `expected a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
      });
    return def === undefined ? s : s.default(def);
  },
  str: (def?: string) => (def === undefined ? z.string().min(1) : z.string().min(1).default(def)),
  list: (def?: string) =>
    (def === undefined ? z.string() : z.string().default(def)).transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  logLevel: () => z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
};

/** Connection settings every backend process shares. */
export const connectionEnv = {
  NATS_URL: env.str('nats://127.0.0.1:4222'),
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  // redis+sentinel://[:password@]host:port,host:port/<master name>: the master the Sentinels name (@voc/service-kit/redis-url).
  REDIS_URL: env.url(['redis', 'rediss', 'redis+sentinel'], 'redis://127.0.0.1:6379'),
  DATABASE_URL: env.url(['postgres', 'postgresql'], 'postgresql://voc:voc@127.0.0.1:5432/voc'),
  /** Default per service: SERVICES[name].env. */
  DB_POOL_SIZE: env.int(undefined, 1, 500),
};

/** Settings of every service process: identity, health port, logging. */
export const serviceEnv = {
  NODE_NAME: env.str('local'),
  /** Default per service: SERVICES[name].port. */
  HEALTH_PORT: env.port(),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_TIMEOUT_MS: env.int(25_000, 1000),
};
