import { env, loadConfig } from '@voc/config';
import { z } from 'zod';
import { DEFAULT_LANE_SHARES, parseLaneShares } from './lanes';
import { DEFAULT_MODEL_LIMITS, parseModelLimits, UNKNOWN_MODEL_LIMIT, type KeyLimit } from './limits';
import { DEFAULT_TUNING } from './options';
import type { RateLimiterOptions } from './types';

export { parseModelLimits } from './limits';

function parsed<T>(parse: (text: string) => T, example: string) {
  return (v: string | undefined, ctx: z.RefinementCtx): T | undefined => {
    if (v === undefined) return undefined;
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (expected e.g. "${example}")` });
      return z.NEVER;
    }
  };
}

/**
 * LIMITER_HANDOFF_MS's default for the services, whose LLM client sends
 * from a send thread (the library's own default, for callers that send at
 * the grant, is 0). Long enough to cover their event loops' usual late
 * stretches (p99 lag 100–300 ms in bench:pipeline): 40 ms left 11–12 % of
 * slots reached too late, 150 ms 9 % (0.80 and 0.84 of the bound at 0.3 s,
 * against 0.76 and 0.71 without, 2026-12-03).
 */
export const SERVICE_HANDOFF_MS = 150;

const schema = z.object({
  LLM_MODEL: env.str('qwen-plus-latest'),
  /** Added to each 1-s window (see README): more margin absorbs more send-time jitter, at a lower ceiling. */
  LIMITER_MARGIN_MS: env.int(DEFAULT_TUNING.marginMs, 1, 500),
  /** Cold start / after a pause: from 10 % to the full limits over this. */
  LIMITER_RAMP_MS: env.int(DEFAULT_TUNING.rampMs, 0, 600_000),
  /** Due slots also handed out at the end of the running callback (checkpoint.ts), not only by the (often late) dispatch timer. */
  LIMITER_CHECKPOINTS: env.bool(DEFAULT_TUNING.checkpoints),
  /** Slots handed to their caller this long ahead, to be sent on time by its send thread (LLM_SEND_THREAD). */
  LIMITER_HANDOFF_MS: env.int(SERVICE_HANDOFF_MS, 0, 1000),
  MAX_API_RPS: z.coerce.number().positive().optional(),
  MAX_API_TPM: z.coerce.number().int().min(0).optional(),
  LLM_MODEL_LIMITS: z.string().optional().transform(parsed(parseModelLimits, 'qwen3-max=8:800000,other=20')),
  LLM_LANE_SHARES: z.string().optional().transform(parsed(parseLaneShares, 'translate=0.25,insight=0.25,theme=0.25')),
});

export interface LimiterConfig {
  /** The model the service calls (LLM_MODEL). */
  model: string;
  /** Its request limit (MAX_API_RPS). */
  rps: number;
  /** Its token limit per minute (MAX_API_TPM; 0: requests only). */
  tpm: number;
  /** Every configured key and its request limit, `model` included. */
  limits: Record<string, number>;
  /** Every configured key and both its limits, `model` included. */
  keyLimits: Record<string, KeyLimit>;
  /** LIMITER_MARGIN_MS: the limiter's marginMs tuning. */
  marginMs: number;
  /** LIMITER_RAMP_MS: the limiter's rampMs tuning. */
  rampMs: number;
  /** LIMITER_CHECKPOINTS: the limiter's checkpoints tuning. */
  checkpoints: boolean;
  /** LIMITER_HANDOFF_MS: the limiter's handoffMs tuning. */
  handoffMs: number;
  /** LLM_LANE_SHARES: minimum shares of the normal lanes. */
  laneShares: Record<string, number>;
}

/**
 * The limits from the environment: the defaults (DEFAULT_MODEL_LIMITS),
 * overridden by LLM_MODEL_LIMITS (model=rps[:tpm]), and MAX_API_RPS /
 * MAX_API_TPM for LLM_MODEL. A limit not given keeps the model's known one;
 * a model without one gets 200 RPS and no token limit.
 */
export function limiterConfigFromEnv(vars: NodeJS.ProcessEnv = process.env, service = 'rate-limiter'): LimiterConfig {
  const c = loadConfig(service, schema, vars);
  const keyLimits: Record<string, KeyLimit> = {};
  for (const [key, l] of Object.entries(DEFAULT_MODEL_LIMITS)) keyLimits[key] = { ...l };
  const merge = (key: string, l: { rps?: number; tpm?: number }) => {
    const base = keyLimits[key] ?? UNKNOWN_MODEL_LIMIT;
    keyLimits[key] = { rps: l.rps ?? base.rps, tpm: l.tpm ?? base.tpm };
  };
  for (const [key, l] of Object.entries(c.LLM_MODEL_LIMITS ?? {})) merge(key, l);
  merge(c.LLM_MODEL, { ...(c.MAX_API_RPS !== undefined ? { rps: c.MAX_API_RPS } : {}), ...(c.MAX_API_TPM !== undefined ? { tpm: c.MAX_API_TPM } : {}) });
  const own = keyLimits[c.LLM_MODEL] as KeyLimit;
  return {
    model: c.LLM_MODEL,
    rps: own.rps,
    tpm: own.tpm,
    limits: Object.fromEntries(Object.entries(keyLimits).map(([k, l]) => [k, l.rps])),
    keyLimits,
    marginMs: c.LIMITER_MARGIN_MS,
    rampMs: c.LIMITER_RAMP_MS,
    checkpoints: c.LIMITER_CHECKPOINTS,
    handoffMs: c.LIMITER_HANDOFF_MS,
    laneShares: c.LLM_LANE_SHARES ?? { ...DEFAULT_LANE_SHARES },
  };
}

/** The createRateLimiter() options of one configured key (add redis, registry, log). */
export function limiterOptionsFor(
  config: LimiterConfig,
  key: string = config.model,
): Pick<RateLimiterOptions, 'key' | 'rps' | 'tpm' | 'marginMs' | 'rampMs' | 'checkpoints' | 'handoffMs' | 'laneShares'> {
  const l = config.keyLimits[key];
  if (!l) throw new Error(`no rate limit configured for '${key}' (configured: ${Object.keys(config.keyLimits).join(', ')}); add it to LLM_MODEL_LIMITS`);
  return { key, rps: l.rps, tpm: l.tpm, marginMs: config.marginMs, rampMs: config.rampMs, checkpoints: config.checkpoints, handoffMs: config.handoffMs, laneShares: config.laneShares };
}
