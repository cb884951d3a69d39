import type { Logger } from '@voc/service-kit';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createRateLimiter } from './limiter';
import type { LimiterStats, LimiterTuning, RateLimiter } from './types';

/**
 * Limits per model at 80 % of the account limit (seed 000): qwen-plus-latest
 * 15,000 RPM = 250 RPS → 200; qwen3-max 600 RPM = 10 RPS → 8.
 */
export const DEFAULT_MODEL_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  'qwen-plus-latest': 200,
  'qwen3-max': 8,
});

/** One limiter per key (model or provider), each with its own limit (seed 002). */
export interface RateLimiterSet {
  readonly keys: readonly string[];
  /** The limiter of `key`; throws for a key without a configured limit. */
  limiterFor(key: string): RateLimiter;
  stats(): Promise<LimiterStats[]>;
  close(): Promise<void>;
}

export interface RateLimiterSetOptions extends LimiterTuning {
  registry?: Registry;
  log?: Logger;
}

/**
 * Creates a limiter for each key of `limits` on one Redis client. They share
 * one subscriber connection for pause notifications.
 */
export function createRateLimiters(
  redis: Redis,
  limits: Readonly<Record<string, number>> = DEFAULT_MODEL_LIMITS,
  opts: RateLimiterSetOptions = {},
): RateLimiterSet {
  const entries = Object.entries(limits);
  if (entries.length === 0) throw new Error('rate limiters: no key has a limit');
  const subscriber = redis.duplicate();
  subscriber.on('error', (err) => opts.log?.debug({ err }, 'limiter subscriber connection error'));
  const limiters = new Map<string, RateLimiter>();
  try {
    for (const [key, rps] of entries) limiters.set(key, createRateLimiter({ ...opts, redis, key, rps, subscriber }));
  } catch (err) {
    subscriber.disconnect();
    throw err;
  }
  const keys = Object.freeze([...limiters.keys()]);
  return {
    keys,
    limiterFor(key) {
      const l = limiters.get(key);
      if (!l) throw new Error(`no rate limit configured for '${key}' (configured: ${keys.join(', ')}); add it to LLM_MODEL_LIMITS`);
      return l;
    },
    stats: () => Promise.all([...limiters.values()].map((l) => l.stats())),
    async close() {
      await Promise.all([...limiters.values()].map((l) => l.close()));
      subscriber.disconnect();
    },
  };
}
