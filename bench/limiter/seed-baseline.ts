/**
 * The seed's limiter (seed 001, "QPS 限流与防封策略" → APIRateLimiter), ported
 * as written for comparison: a Redis sorted set of request times per API,
 * ZREMRANGEBYSCORE (drop entries older than the window) + ZCARD; when the
 * count is below max_qps, ZADD the request and go, otherwise sleep a random
 * 0.1–0.5 s and return False, and the caller (the @rate_limited_api
 * decorator) tries again. Check and add are separate round trips, so callers
 * that check at the same moment all see room and all go: that is the
 * overshoot this port exists to measure.
 *
 * Details the seed leaves out, filled in the usual redis-py way: the client's
 * clock (time.time(), µs) for scores and members, key "api_rate_limit:<api>"
 * (the seed's ops section reads ZCARD "api_rate_limit:qwen"), the
 * remove+count pair sent as one pipeline. It has no priority: vip callers go
 * through the same loop.
 */
import type { Redis } from 'ioredis';

const clockSeconds = () => (performance.timeOrigin + performance.now()) / 1000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class SeedRateLimiter {
  /** Redis round trips made, for the benchmark's "round trips per grant". */
  roundTrips = 0;

  constructor(
    private readonly redis: Redis,
    private readonly maxQps: number,
    private readonly windowSeconds = 1,
    private readonly apiName = 'qwen',
  ) {}

  /** The seed's acquire(): true when the call may go, false after sleeping 0.1–0.5 s. */
  async tryAcquire(signal?: AbortSignal): Promise<boolean> {
    const key = `api_rate_limit:${this.apiName}`;
    const now = clockSeconds();
    this.roundTrips++;
    const replies = await this.redis.pipeline().zremrangebyscore(key, 0, now - this.windowSeconds).zcard(key).exec();
    const [, count] = replies?.[1] ?? [];
    if (typeof count !== 'number') throw new Error(`seed limiter: unexpected ZCARD reply ${JSON.stringify(replies)}`);
    if (count >= this.maxQps) {
      await sleep(100 + Math.random() * 400, signal);
      return false;
    }
    this.roundTrips++;
    await this.redis.zadd(key, now, String(now));
    return true;
  }

  /** The decorator's loop: try until allowed. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (!(await this.tryAcquire(signal))) signal?.throwIfAborted();
  }
}
