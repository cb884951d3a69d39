/**
 * @voc/rate-limiter (C3): the fleet-wide LLM limiter over Redis, one key per
 * model (createRateLimiters), its settings from the environment, and the
 * seed's start-up jitter.
 */
export type { AcquireOptions, LimiterStats, LimiterTuning, Priority, RateLimiter, RateLimiterOptions } from './types';
export { createRateLimiter } from './limiter';
export { createRateLimiters, DEFAULT_MODEL_LIMITS, type RateLimiterSet, type RateLimiterSetOptions } from './set';
export { limiterConfigFromEnv, parseModelLimits, type LimiterConfig } from './env';
export { startupJitter } from './startup-jitter';
export { RateLimiterClosedError } from './errors';
export { maxInSlidingWindow } from './window';
export { limiterKeys, type LimiterKeys } from './scripts';
