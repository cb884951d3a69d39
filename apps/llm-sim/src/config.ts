import { env, loadServiceConfig } from '@voc/config';
import { z } from 'zod';

export interface SimConfig {
  /** 0 = any free port. */
  port: number;
  host: string;
  /** Mean answer time; each answer takes latencyMs ± jitterMs (uniform). */
  latencyMs: number;
  jitterMs: number;
  /** The account limit: requests received beyond it in any sliding second (or 60 × it in any sliding minute) get 429. 0 = unlimited. */
  rpsLimit: number;
  /** Account tokens per sliding minute, and TPM / 60 per sliding second (prompt + reserved completion of each call). 0 = unlimited. */
  tpmLimit: number;
  /** Burst rule: requests in a second above this × the average of the 10 seconds before get 429 limit_burst_rate. 0 = off. */
  burstFactor: number;
  /** The burst rule never fires below this many requests in a second. */
  burstFloorRps: number;
  /** The completion a call without max_tokens reserves (and may produce): the model's default maximum. */
  defaultMaxTokens: number;
  /** Every call gets 403 Arrearage (account in arrears or free quota used up), until switched off (setArrearage). */
  arrearage: boolean;
  /** Report a repeated system prompt of at least this many tokens as cached (`prompt_tokens_details.cached_tokens`). 0 = never. */
  cacheMinTokens: number;
  /** Fraction of answered requests that fail with 500/502/503. */
  errorRate: number;
  /** Fraction of answers that are malformed (kinds with a structured answer only). */
  malformedRate: number;
  /** Answers are a function of the request and this seed. */
  seed: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
}

const rate = (def: number) => z.coerce.number().min(0).max(1).default(def);

const schema = z.object({
  /** Default: SERVICES['llm-sim'].port. */
  LLM_SIM_PORT: z.coerce.number().int().min(0).max(65535),
  LLM_SIM_HOST: env.str('0.0.0.0'),
  LLM_SIM_LATENCY_MS: env.int(300),
  LLM_SIM_JITTER_MS: env.int(100),
  LLM_SIM_RPS_LIMIT: env.int(250),
  LLM_SIM_TPM_LIMIT: env.int(0),
  LLM_SIM_BURST_FACTOR: env.num(0),
  LLM_SIM_BURST_FLOOR_RPS: env.int(50),
  LLM_SIM_DEFAULT_MAX_TOKENS: env.int(8192, 1),
  LLM_SIM_ARREARAGE: env.bool(false),
  LLM_SIM_CACHE_MIN_TOKENS: env.int(256),
  LLM_SIM_ERROR_RATE: rate(0),
  LLM_SIM_MALFORMED_RATE: rate(0),
  LLM_SIM_SEED: env.str('llm-sim'),
  LLM_SIM_API_KEY: z.string().min(1).optional(),
});

export function simConfigFromEnv(source: NodeJS.ProcessEnv = process.env): SimConfig {
  const c = loadServiceConfig('llm-sim', schema, source);
  return {
    port: c.LLM_SIM_PORT,
    host: c.LLM_SIM_HOST,
    latencyMs: c.LLM_SIM_LATENCY_MS,
    jitterMs: c.LLM_SIM_JITTER_MS,
    rpsLimit: c.LLM_SIM_RPS_LIMIT,
    tpmLimit: c.LLM_SIM_TPM_LIMIT,
    burstFactor: c.LLM_SIM_BURST_FACTOR,
    burstFloorRps: c.LLM_SIM_BURST_FLOOR_RPS,
    defaultMaxTokens: c.LLM_SIM_DEFAULT_MAX_TOKENS,
    arrearage: c.LLM_SIM_ARREARAGE,
    cacheMinTokens: c.LLM_SIM_CACHE_MIN_TOKENS,
    errorRate: c.LLM_SIM_ERROR_RATE,
    malformedRate: c.LLM_SIM_MALFORMED_RATE,
    seed: c.LLM_SIM_SEED,
    ...(c.LLM_SIM_API_KEY ? { apiKey: c.LLM_SIM_API_KEY } : {}),
  };
}

/** Each setting's variable: simConfigFromEnv read backwards, for a caller that runs llm-sim as its own process. */
const VARIABLES: Record<keyof SimConfig, string> = {
  port: 'LLM_SIM_PORT',
  host: 'LLM_SIM_HOST',
  latencyMs: 'LLM_SIM_LATENCY_MS',
  jitterMs: 'LLM_SIM_JITTER_MS',
  rpsLimit: 'LLM_SIM_RPS_LIMIT',
  tpmLimit: 'LLM_SIM_TPM_LIMIT',
  burstFactor: 'LLM_SIM_BURST_FACTOR',
  burstFloorRps: 'LLM_SIM_BURST_FLOOR_RPS',
  defaultMaxTokens: 'LLM_SIM_DEFAULT_MAX_TOKENS',
  arrearage: 'LLM_SIM_ARREARAGE',
  cacheMinTokens: 'LLM_SIM_CACHE_MIN_TOKENS',
  errorRate: 'LLM_SIM_ERROR_RATE',
  malformedRate: 'LLM_SIM_MALFORMED_RATE',
  seed: 'LLM_SIM_SEED',
  apiKey: 'LLM_SIM_API_KEY',
};

/** The environment that makes llm-sim's process run with `config` (settings not given keep their defaults). */
export function simEnv(config: Partial<SimConfig>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (v !== undefined) out[VARIABLES[k as keyof SimConfig]] = String(v);
  return out;
}
