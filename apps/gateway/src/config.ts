import { z } from 'zod';
import { ConfigError, connectionEnv, env, loadServiceConfig, serviceEnv } from '@voc/config';
import { pipelineSettingsFromEnv, type PipelineSettings } from '@voc/pipeline';
import { limiterConfigFromEnv, type LimiterConfig } from '@voc/rate-limiter';

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** "16mb", "512kb", "1.5mb" or a plain byte count (binary units, as Express' `limit`). */
export function parseByteSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(text.trim());
  if (!m) throw new Error(`'${text}' is not a size (e.g. 16mb, 512kb, 65536)`);
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

const byteSize = (def: string, min: number, max: number) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      let n: number;
      try {
        n = parseByteSize(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max} bytes, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

export const gatewayEnv = {
  ...connectionEnv,
  NODE_NAME: serviceEnv.NODE_NAME,
  LOG_LEVEL: serviceEnv.LOG_LEVEL,
  SHUTDOWN_TIMEOUT_MS: serviceEnv.SHUTDOWN_TIMEOUT_MS,
  NATS_REPLICAS: env.int(1, 1, 5),
  /** Default: SERVICES.gateway.port. */
  GATEWAY_PORT: env.port(),
  /** Comma-separated Bearer keys; any of them is accepted (several allow rotation). */
  GATEWAY_API_KEYS: z
    .string({ message: 'required: one or more API keys, comma-separated' })
    .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
    .refine((keys) => keys.length > 0, 'at least one API key is required'),
  /** Largest accepted request body (1,000 typical reviews are ~1–2 MB). */
  GATEWAY_BODY_LIMIT: byteSize('16mb', 1024, 256 * 1024 ** 2),
  /** An upload is published as parts of at most this many reviews… */
  GATEWAY_INGEST_PART_REVIEWS: env.int(200, 1, 1000),
  /** …and at most this many bytes of JSON (a NATS message is limited, 1 MB by default). */
  GATEWAY_INGEST_PART_BYTES: byteSize('512kb', 4096, 64 * 1024 ** 2),
  /** How long to wait for JetStream's PubAck before answering 503. */
  GATEWAY_PUBLISH_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /** Retry-After (seconds) sent with a 503 when NATS or PostgreSQL is unavailable. */
  GATEWAY_RETRY_AFTER_S: env.int(5, 1, 3600),
};

export const gatewaySchema = z.object(gatewayEnv);

export type GatewayConfig = z.infer<typeof gatewaySchema> & {
  /** LLM_MODEL, MAX_API_RPS, LLM_MODEL_LIMITS: the limiter keys whose stats GET /v1/queues shows. */
  limiter: LimiterConfig;
  pipeline: PipelineSettings;
};

/**
 * The whole gateway environment, checked at once: every bad variable of the
 * gateway, limiter and pipeline settings is named in one ConfigError.
 */
export function loadGatewayConfig(vars: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const problems: ConfigError['problems'] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const base = attempt(() => loadServiceConfig('gateway', gatewaySchema, vars));
  const limiter = attempt(() => limiterConfigFromEnv(vars, 'gateway'));
  const pipeline = attempt(() => pipelineSettingsFromEnv(vars));
  if (!base || !limiter || !pipeline) throw new ConfigError('gateway', problems);
  return { ...base, limiter, pipeline };
}
