export type { AcquireOptions, LimiterStats, LimiterTuning, Priority, RateLimiter, RateLimiterOptions } from './types';
export { createRateLimiter } from './limiter';
export { createRateLimiters, DEFAULT_MODEL_LIMITS, type RateLimiterSet, type RateLimiterSetOptions } from './set';
export { limiterConfigFromEnv, parseModelLimits, type LimiterConfig } from './env';
export { startupJitter, STARTUP_JITTER_MS } from './startup-jitter';
export { RateLimiterClosedError } from './errors';
export { maxInSlidingWindow } from './window';
export { limiterKeys, type LimiterKeys } from './scripts';
