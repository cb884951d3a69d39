/**
 * What the client needs from the global rate limiter (@voc/rate-limiter,
 * contract C3). Declared structurally so this lib does not depend on the
 * limiter package: any object with these methods will do.
 */
export type Priority = 'vip' | 'normal';

/** What a provider 429 said was exceeded. */
export type ThrottleCause = 'requests' | 'tokens' | 'burst' | 'unknown';

/** Permission to send one request now, carrying the tokens it reserved. */
export interface LlmGrant {
  readonly tokens: number;
  /** The fleet's one probe call while halted: if it succeeds, the client resumes the fleet. */
  readonly probe: boolean;
  /** Reconciles the reservation with what the provider counted (less is given back, more charged). */
  settle(actualTokens: number): void;
  /** The request was never sent: its tokens go back. */
  cancel(): void;
  /** performance.now() before which the request must not leave (a slot handed off ahead of its time); absent: send at once. */
  readonly sendAt?: number;
  /** performance.now() after which it must not leave: past it, call missed() and acquire again. */
  readonly sendBy?: number;
  /** It could not leave by sendBy: tokens back, counted as a slot dropped late. */
  missed?(lateMs: number): void;
}

export interface LlmLimiter {
  /** Resolves when one request of `tokens` (estimated prompt + max_tokens) may be sent; vip callers are served first. */
  acquire(opts?: { priority?: Priority; tokens?: number; lane?: string; signal?: AbortSignal }): Promise<LlmGrant>;
  /** Pauses every caller sharing the limit (the whole fleet) for `ms` after a provider 429, slowing the budget of its cause. */
  pause(ms: number, opts?: { reason?: string; cause?: ThrottleCause }): Promise<void>;
  /** The account cannot be used (arrears, quota exhausted): no grants fleet-wide but a periodic probe, until resume(). */
  halt(reason: string, opts?: { probeEveryMs?: number }): Promise<void>;
  resume(reason?: string): Promise<void>;
}
