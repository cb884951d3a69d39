/**
 * What the client needs from the global rate limiter (@voc/rate-limiter,
 * contract C3). Declared structurally so this lib does not depend on the
 * limiter package: any object with these two methods will do.
 */
export type Priority = 'vip' | 'normal';

export interface LlmLimiter {
  /** Resolves when one request may be sent; vip callers are served first. */
  acquire(opts?: { priority?: Priority; signal?: AbortSignal }): Promise<void>;
  /** Pauses every caller sharing the limit (the whole fleet) for `ms`, e.g. after a provider 429. */
  pause(ms: number, reason?: string): Promise<void>;
}
