import type { LlmGrant, LlmLimiter, Priority, ThrottleCause } from '../../src';

export interface AcquireRecord {
  priority: Priority;
  tokens: number;
  lane?: string;
  /** What the grant was settled with (undefined: not yet; null: cancelled). */
  settled?: number | null;
}

/**
 * An in-process stand-in for the Redis limiter of @voc/rate-limiter: grants
 * at once unless paused, honours pauses the way the fleet limiter does (every
 * caller waits), and records what it was asked. (The client's tests against
 * the real limiter on Redis are in limiter-redis.spec.ts.)
 */
export class MemoryLimiter implements LlmLimiter {
  readonly acquires: AcquireRecord[] = [];
  readonly pauses: { ms: number; reason?: string; cause?: ThrottleCause }[] = [];
  private pausedUntil = 0;

  get acquired(): Priority[] {
    return this.acquires.map((a) => a.priority);
  }

  async acquire(opts: { priority?: Priority; tokens?: number; lane?: string; signal?: AbortSignal } = {}): Promise<LlmGrant> {
    opts.signal?.throwIfAborted();
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const record: AcquireRecord = { priority: opts.priority ?? 'normal', tokens: opts.tokens ?? 0, ...(opts.lane ? { lane: opts.lane } : {}) };
    this.acquires.push(record);
    return {
      tokens: record.tokens,
      probe: false,
      settle: (n) => void (record.settled ??= n),
      cancel: () => void (record.settled ??= null),
    };
  }

  async pause(ms: number, opts: { reason?: string; cause?: ThrottleCause } = {}): Promise<void> {
    this.pauses.push({ ms, ...opts });
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  async halt(): Promise<void> {
    throw new Error('MemoryLimiter cannot halt: use the Redis limiter (limiter-redis.spec.ts)');
  }

  async resume(): Promise<void> {}
}
