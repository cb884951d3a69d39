import type { LlmLimiter, Priority } from '../../src';

/**
 * An in-process stand-in for the Redis limiter of @voc/rate-limiter: grants
 * at once unless paused, honours pauses the way the fleet limiter does (every
 * caller waits), and records what it was asked.
 */
export class MemoryLimiter implements LlmLimiter {
  readonly acquired: Priority[] = [];
  readonly pauses: { ms: number; reason?: string }[] = [];
  private pausedUntil = 0;

  async acquire(opts: { priority?: Priority; signal?: AbortSignal } = {}): Promise<void> {
    opts.signal?.throwIfAborted();
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.acquired.push(opts.priority ?? 'normal');
  }

  async pause(ms: number, reason?: string): Promise<void> {
    this.pauses.push({ ms, ...(reason ? { reason } : {}) });
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }
}
