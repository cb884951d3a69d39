import { z } from 'zod';
import { ConfigError, connectionEnv, env, loadServiceConfig, serviceEnv, SERVICES } from '@voc/config';
import { pipelineSettingsFromEnv, type PipelineSettings } from '@voc/pipeline';
import { limiterConfigFromEnv, type LimiterConfig } from '@voc/rate-limiter';
import { ApiKeyError, loadApiKeys, type ApiKey } from './keys/api-keys';

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
  /** Port of GET /metrics (Prometheus), apart from the API port; 0 = any free port (tests). */
  GATEWAY_METRICS_PORT: env.int(SERVICES.gateway.metricsPort, 0, 65535),
  /** Comma-separated Bearer keys, each `id:secret` or a plain `secret` (several allow rotation). */
  GATEWAY_API_KEYS: z.string().optional(),
  /** A file of `id:<sha256 hex of the secret>` lines: keys whose secrets are not on this host. */
  GATEWAY_API_KEYS_FILE: z.string().optional(),
  /**
   * Largest accepted request body. 1,000 real reviews take ~0.3 MB (dev data:
   * 310 B mean, 1 KB p99 per review); 4 MB leaves 13× that. The largest legal
   * upload (1,000 × 20,000-character bodies) would be ~40 MB: such a client is
   * told (413) to split it.
   */
  GATEWAY_BODY_LIMIT: byteSize('4mb', 1024, 256 * 1024 ** 2),
  /** Body bytes all requests together may hold at once (each reserves its Content-Length); beyond it 503 server_busy. */
  GATEWAY_BODY_BUDGET: byteSize('32mb', 1024, 4 * 1024 ** 3),
  /** Requests per second per key (every replica together); the burst is twice that. */
  GATEWAY_KEY_RPS: env.num(50, 0.01),
  /** Reviews accepted per key per UTC day; unset = unlimited. */
  GATEWAY_KEY_REVIEWS_PER_DAY: env.int(undefined, 1).optional(),
  /** A key may queue learning of the same product at most once per this many seconds (an already queued job is returned any time). */
  GATEWAY_LEARN_COOLDOWN_S: env.int(600, 0, 86_400),
  /** A key may have a new report of the same product built at most once per this many seconds (an unchanged one is returned any time). */
  GATEWAY_REPORT_COOLDOWN_S: env.int(30, 0, 86_400),
  /** A per-key limit check slower than this fails open (as when Redis is down). */
  GATEWAY_KEY_LIMIT_TIMEOUT_MS: env.int(250, 10, 10_000),
  /** Upload-completion webhooks: checks per this interval, attempts before giving up, and per-attempt timeout. */
  GATEWAY_WEBHOOK_POLL_MS: env.int(2000, 100, 600_000),
  GATEWAY_WEBHOOK_MAX_ATTEMPTS: env.int(8, 1, 50),
  GATEWAY_WEBHOOK_TIMEOUT_MS: env.int(5000, 100, 60_000),
  /** Allow webhook URLs on loopback or private addresses (tests, a trusted network); off by default. */
  GATEWAY_WEBHOOK_ALLOW_PRIVATE: env.bool(false),
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
  /** GATEWAY_API_KEYS and GATEWAY_API_KEYS_FILE, parsed. */
  keys: ApiKey[];
  /** LLM_MODEL, MAX_API_RPS, MAX_API_TPM, LLM_MODEL_LIMITS: the limiter keys whose stats GET /v1/queues shows. */
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
  const keys = keysOf(vars, problems);
  if (base && base.GATEWAY_BODY_BUDGET < base.GATEWAY_BODY_LIMIT) {
    problems.push({ variable: 'GATEWAY_BODY_BUDGET', message: `must be at least GATEWAY_BODY_LIMIT (${base.GATEWAY_BODY_LIMIT} bytes)` });
  }
  if (!base || !limiter || !pipeline || !keys || problems.length > 0) throw new ConfigError('gateway', problems);
  return { ...base, keys, limiter, pipeline };
}

/** Checked apart from the schema, so that a key problem is named beside every other one. */
function keysOf(vars: NodeJS.ProcessEnv, problems: ConfigError['problems']): ApiKey[] | undefined {
  try {
    return loadApiKeys({ plain: vars.GATEWAY_API_KEYS || undefined, file: vars.GATEWAY_API_KEYS_FILE || undefined });
  } catch (err) {
    if (!(err instanceof ApiKeyError)) throw err;
    problems.push({ variable: err.variable, message: err.message });
    return undefined;
  }
}
