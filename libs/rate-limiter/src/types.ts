import type { Logger } from '@voc/service-kit';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';

/** vip callers (learning, the seeds' VIP lane) are served before normal ones. */
export type Priority = 'vip' | 'normal';

export interface AcquireOptions {
  priority?: Priority;
  /** Aborting rejects the acquire with `signal.reason`; a slot held for it goes to another caller or back to Redis. */
  signal?: AbortSignal;
}

export interface LimiterStats {
  key: string;
  rps: number;
  /** Grants (fleet-wide) whose slot fell in the last full second. */
  grantedLastSecond: number;
  /** Grants (fleet-wide) in the last ten full seconds. */
  grantedLast10s: number;
  /** Epoch ms (Redis' clock) until which the key is paused, or null. */
  pausedUntilMs: number | null;
  /** 'degraded': Redis is unreachable, the limiter grants nothing (fail closed) and the counts cover this process only. */
  mode: 'redis' | 'degraded';
}

/** One limit shared by every process and host that uses the same Redis and key (contract C3). */
export interface RateLimiter {
  readonly key: string;
  readonly rps: number;
  /** Resolves when ONE request may be sent now. */
  acquire(opts?: AcquireOptions): Promise<void>;
  /** The provider answered 429: pause every process on this key for `ms` (Retry-After). */
  pause(ms: number, reason?: string): Promise<void>;
  stats(): Promise<LimiterStats>;
  /** Rejects pending acquires, gives held slots back, stops every timer. */
  close(): Promise<void>;
}

/** Settings that tune the limiter; every process on a key should use the same ones. */
export interface LimiterTuning {
  /**
   * Added to each 1-second window: slots are (1000 + marginMs) / rps ms apart,
   * and a slot that cannot be used within marginMs of its time (slow Redis
   * reply, late timer) is dropped unused. Default 10 (the limiter runs at
   * 1000 / 1010 = 99% of rps).
   */
  marginMs?: number;
  /** How far ahead normal callers may reserve; also the most a vip caller waits behind them. Default 100. */
  normalHorizonMs?: number;
  /** How far ahead vip callers may reserve; must exceed normalHorizonMs. Default 300. */
  vipHorizonMs?: number;
  /** Slots a waiting process asks for per turn. Default: half a normal horizon's worth (at least 1). */
  leaseSlots?: number;
  /** Most slots one reservation takes. Default 64. */
  maxLeaseSlots?: number;
  /** After this long without a Redis reply the limiter reports itself degraded. Default 1000. */
  redisTimeoutMs?: number;
  /** Upper bound of one pause(), so a bogus Retry-After cannot stall the fleet for hours. Default 300000. */
  maxPauseMs?: number;
  /** Prefix of the Redis keys (`<prefix>:{<key>}:state` …). Default 'rl'. */
  keyPrefix?: string;
}

export interface RateLimiterOptions extends LimiterTuning {
  /** The limiter runs its scripts on this client; it never closes it. */
  redis: Redis;
  key: string;
  rps: number;
  registry?: Registry;
  log?: Logger;
  /**
   * Connection for pause notifications (SUBSCRIBE). Default: a duplicate of
   * `redis` that the limiter owns and closes; pass one to share it between
   * limiters (its owner closes it), or false to rely on the reserve script
   * alone (other processes then stop within one horizon of a pause).
   */
  subscriber?: Redis | false;
}
