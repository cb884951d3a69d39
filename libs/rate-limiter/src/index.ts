/**
 * @voc/rate-limiter (C3): the fleet-wide two-dimensional LLM limiter over
 * Redis, one key per model (createRateLimiters), its settings from the
 * environment, and the seed's start-up jitter.
 */
export type {
  AcquireOptions,
  Grant,
  HaltOptions,
  HaltState,
  LaneStats,
  LimiterStats,
  LimiterTuning,
  PauseCause,
  PauseOptions,
  Priority,
  RampState,
  RateLimiter,
  RateLimiterOptions,
} from './types';
export { createRateLimiter } from './limiter';
export { createRateLimiters, type RateLimiterSet, type RateLimiterSetOptions } from './set';
export { DEFAULT_MODEL_LIMITS, UNKNOWN_MODEL_LIMIT, type KeyLimit } from './limits';
export { DEFAULT_TUNING } from './options';
export { DEFAULT_LANE, DEFAULT_LANE_SHARES, parseLaneShares } from './lanes';
export { limiterConfigFromEnv, limiterOptionsFor, parseModelLimits, SERVICE_HANDOFF_MS, type LimiterConfig } from './env';
export { startupJitter, STARTUP_JITTER_MS } from './startup-jitter';
export { RateLimiterClosedError } from './errors';
export { maxInSlidingWindow, maxWeightedInSlidingWindow } from './window';
export { limiterKeys, type LimiterKeys } from './scripts';
