import type { Logger } from '@voc/service-kit';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createRateLimiter } from './limiter';
import { DEFAULT_MODEL_LIMITS, type KeyLimit } from './limits';
import type { LimiterStats, LimiterTuning, RateLimiter } from './types';

export { DEFAULT_MODEL_LIMITS } from './limits';

/** One limiter per key (model or provider), each with its own limits (seed 002). */
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
 * Creates a limiter for each key of `limits` (a request limit, or both
 * limits) on one Redis client. They share one subscriber connection for
 * fleet events.
 */
export function createRateLimiters(
  redis: Redis,
  limits: Readonly<Record<string, number | Readonly<KeyLimit>>> = DEFAULT_MODEL_LIMITS,
  opts: RateLimiterSetOptions = {},
): RateLimiterSet {
  const entries = Object.entries(limits);
  if (entries.length === 0) throw new Error('rate limiters: no key has a limit');
  const subscriber = redis.duplicate();
  subscriber.on('error', (err) => opts.log?.debug({ err }, 'limiter subscriber connection error'));
  const limiters = new Map<string, RateLimiter>();
  try {
    for (const [key, l] of entries) {
      const { rps, tpm } = typeof l === 'number' ? { rps: l, tpm: 0 } : l;
      limiters.set(key, createRateLimiter({ ...opts, redis, key, rps, tpm, subscriber }));
    }
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
