/** Rejects acquire() calls that were pending, or made, after close(). */
export class RateLimiterClosedError extends Error {
  constructor(readonly key: string) {
    super(`rate limiter '${key}' is closed`);
    this.name = 'RateLimiterClosedError';
  }
}

/** What an aborted acquire() rejects with: the signal's reason, like fetch does. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
