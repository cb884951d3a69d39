import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { FailureReason } from './errors';
import type { Priority } from './limiter';

/**
 * When and how long to wait before trying again. Exponential backoff with
 * full jitter (a uniform wait in [0, min(cap, base·2^(n−1))]) spreads a
 * fleet's retries out; VIP calls get a smaller base and cap so they retry
 * sooner and win the next free slots (seed 001: VIP retries more eagerly on 429).
 */
export interface RetryPolicy {
  baseDelayMs: Record<Priority, number>;
  maxDelayMs: Record<Priority, number>;
  /** Fleet pause after a 429 that carries no Retry-After. */
  defaultRetryAfterMs: number;
  /** Upper bound on a provider's Retry-After, so a bogus header cannot stall the fleet for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: { vip: 200, normal: 1000 },
  maxDelayMs: { vip: 5_000, normal: 30_000 },
  defaultRetryAfterMs: 1000,
  maxRetryAfterMs: 60_000,
};

/** The wait before retry number `retry` (1 = first retry). */
export function backoffDelayMs(policy: RetryPolicy, retry: number, priority: Priority, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs[priority], policy.baseDelayMs[priority] * 2 ** Math.max(0, retry - 1));
  return Math.round(random() * ceiling);
}

/** The wait a 429 asks for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date, else the default. */
export function retryAfterMs(headers: Headers | undefined, policy: RetryPolicy, now = Date.now()): number {
  const clamp = (ms: number) => Math.min(policy.maxRetryAfterMs, Math.max(0, Math.round(ms)));
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return clamp(ms);
  const raw = headers?.get('retry-after')?.trim();
  if (raw) {
    const seconds = Number(raw);
    if (Number.isFinite(seconds) && seconds >= 0) return clamp(seconds * 1000);
    const date = Date.parse(raw);
    if (Number.isFinite(date)) return clamp(date - now);
  }
  return policy.defaultRetryAfterMs;
}

export interface ClassifiedFailure {
  reason: FailureReason;
  status: number | undefined;
  retryable: boolean;
  headers: Headers | undefined;
}

/** Sorts an error of the openai client into retryable and final failures. */
export function classifyFailure(err: unknown): ClassifiedFailure {
  if (err instanceof APIUserAbortError) return { reason: 'aborted', status: undefined, retryable: false, headers: undefined };
  if (err instanceof APIConnectionTimeoutError) return { reason: 'timeout', status: undefined, retryable: true, headers: undefined };
  if (err instanceof APIConnectionError) return { reason: 'connection_error', status: undefined, retryable: true, headers: undefined };
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const headers = err.headers instanceof Headers ? err.headers : undefined;
    if (status === 429) return { reason: 'rate_limited', status, retryable: true, headers };
    if (status >= 500) return { reason: 'server_error', status, retryable: true, headers };
    // 408 and 409 are transient by HTTP semantics (the openai SDK retries them too).
    if (status === 408 || status === 409) return { reason: 'server_error', status, retryable: true, headers };
    return { reason: 'client_error', status, retryable: false, headers };
  }
  return { reason: 'invalid_response', status: undefined, retryable: false, headers: undefined };
}
