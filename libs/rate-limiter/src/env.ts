import { env, loadConfig } from '@voc/config';
import { z } from 'zod';
import { DEFAULT_MODEL_LIMITS } from './set';

/** Parses "qwen3-max=8, other=20" into { 'qwen3-max': 8, other: 20 }. */
export function parseModelLimits(text: string): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([0-9]*\.?[0-9]+)$/.exec(part);
    const rps = m ? Number(m[2]) : NaN;
    if (!m || !(rps > 0)) throw new Error(`'${part}' is not model=rps with rps > 0`);
    limits[m[1] as string] = rps;
  }
  return limits;
}

const schema = z.object({
  LLM_MODEL: env.str('qwen-plus-latest'),
  /** Added to each 1-s window (see README): more margin absorbs more send-time jitter, at a lower ceiling. */
  LIMITER_MARGIN_MS: env.int(10, 1, 500),
  MAX_API_RPS: z.coerce.number().positive().optional(),
  LLM_MODEL_LIMITS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return v === undefined ? {} : parseModelLimits(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (expected e.g. "qwen3-max=8,other=20")` });
        return z.NEVER;
      }
    }),
});

export interface LimiterConfig {
  /** The model the service calls (LLM_MODEL). */
  model: string;
  /** Its limit. */
  rps: number;
  /** Every configured key and its limit, `model` included. */
  limits: Record<string, number>;
  /** LIMITER_MARGIN_MS: the limiter's marginMs tuning. */
  marginMs: number;
}

/**
 * The limits from the environment: the defaults (qwen-plus-latest 200,
 * qwen3-max 8), overridden by LLM_MODEL_LIMITS, and MAX_API_RPS for LLM_MODEL.
 * Without MAX_API_RPS the model keeps its known limit (8 for qwen3-max), else 200.
 */
export function limiterConfigFromEnv(vars: NodeJS.ProcessEnv = process.env, service = 'rate-limiter'): LimiterConfig {
  const c = loadConfig(service, schema, vars);
  const limits: Record<string, number> = { ...DEFAULT_MODEL_LIMITS, ...c.LLM_MODEL_LIMITS };
  const rps = c.MAX_API_RPS ?? limits[c.LLM_MODEL] ?? 200;
  limits[c.LLM_MODEL] = rps;
  return { model: c.LLM_MODEL, rps, limits, marginMs: c.LIMITER_MARGIN_MS };
}
