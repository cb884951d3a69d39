import type { Logger } from '@voc/service-kit';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';

/** vip callers (learning, the seeds' VIP lane) are served before normal ones. */
export type Priority = 'vip' | 'normal';

/** What a provider 429 said was exceeded (DashScope tells them apart by error code). */
export type PauseCause = 'requests' | 'tokens' | 'burst' | 'unknown';

export interface AcquireOptions {
  priority?: Priority;
  /**
   * Tokens the call may count against the token limit: its prompt tokens
   * (estimated) plus the completion it may produce (the `max_tokens` it
   * sends). 0 or omitted: the call counts against the request limit only.
   */
  tokens?: number;
  /** The budget lane of a normal call (e.g. 'translate'): lanes get their minimum shares while saturated. */
  lane?: string;
  /** Aborting rejects the acquire with `signal.reason`; what was reserved for it goes to another caller or back to Redis. */
  signal?: AbortSignal;
}

/** Permission to send one request now, carrying what it reserved. */
export interface Grant {
  /** Tokens reserved (the acquire's `tokens`). */
  readonly tokens: number;
  /** True when this grant is the fleet's one probe while halted: its outcome decides resume() or halt(). */
  readonly probe: boolean;
  /** performance.now() when the limiter granted it: the moment the limits hold for (send at once). */
  readonly grantedAt: number;
  /**
   * How long after its slot's time it was granted, ms: never more than the
   * margin. The slot's time is the earliest real time its schedule entry can
   * stand for, plus the slot's extension if it has one (see the README).
   */
  readonly lateMs: number;
  /** performance.now() before which the request must not leave: grantedAt unless the limiter hands slots off ahead (handoffMs). */
  readonly sendAt: number;
  /** performance.now() after which the request must not leave: past it, call missed() and acquire again. */
  readonly sendBy: number;
  /**
   * The request could not leave by sendBy and was not sent: its tokens go
   * back and the slot counts as dropped late, as one the limiter reached too
   * late itself. `lateMs`: how long after sendAt the sender got to it.
   */
  missed(lateMs: number): void;
  /**
   * Reconciles the reservation once with what the provider counted (by the
   * counting rule: usage.prompt_tokens + the max_tokens sent). Less gives the
   * difference back, more charges it. Batched to Redis, never a round trip
   * of its own per call. Later calls (and calls after cancel) are ignored.
   */
  settle(actualTokens: number): void;
  /** The request was never sent: gives back its tokens (its request slot has passed and cannot be). */
  cancel(): void;
}

export interface PauseOptions {
  reason?: string;
  /**
   * requests / tokens: that budget is cut (multiplied by `backoffFactor`, then
   * recovers linearly over `recoveryMs`); burst: the ramp restarts; unknown:
   * the pause only. Every pause ends with the ramp.
   */
  cause?: PauseCause;
}

export interface HaltOptions {
  /** One probe grant fleet-wide per this interval while halted. Default 60000. */
  probeEveryMs?: number;
}

export interface HaltState {
  reason: string;
  /** Epoch ms (Redis' clock). */
  sinceMs: number;
  /** Epoch ms (Redis' clock) of the next probe grant. */
  nextProbeMs: number;
}

export interface RampState {
  /** Share of the limits in force now (ramp × any 429 cut), per dimension. */
  requestsFactor: number;
  tokensFactor: number;
  /** Epoch ms when the ramp reaches the full limits, or null when it has. */
  fullAtMs: number | null;
}

export interface LaneStats {
  lane: string;
  /** Configured minimum share (0 for a lane without one). */
  minShare: number;
  /** Share of the recent budget (the larger of requests and tokens, decayed over ~2 s). */
  share: number;
  /** Wanted more than it got within the last second. */
  wanting: boolean;
}

export interface LimiterStats {
  key: string;
  rps: number;
  /** Tokens per minute (0: no token limit). */
  tpm: number;
  /** Grants (fleet-wide) whose slot fell in the last full second. */
  grantedLastSecond: number;
  /** Tokens of those grants (after settles). */
  tokensLastSecond: number;
  /** Grants (fleet-wide) in the last ten full seconds. */
  grantedLast10s: number;
  tokensLast10s: number;
  /** Epoch ms (Redis' clock) until which the key is paused, or null. */
  pausedUntilMs: number | null;
  /** Set while LLM work is halted fleet-wide (quota exhausted, account in arrears). */
  halted: HaltState | null;
  /** Present while the fleet runs below its limits (ramp after a cold start or pause, or a 429 cut). */
  ramp: RampState | null;
  /** Lanes seen recently on this key. */
  lanes: LaneStats[];
  /** 'degraded': Redis is unreachable, the limiter grants nothing (fail closed) and the counts cover this process only. */
  mode: 'redis' | 'degraded';
}

/** One two-dimensional limit shared by every process and host that uses the same Redis and key (contract C3). */
export interface RateLimiter {
  readonly key: string;
  readonly rps: number;
  /** Tokens per minute (0: requests only). */
  readonly tpm: number;
  /** Resolves when ONE request may be sent now. */
  acquire(opts?: AcquireOptions): Promise<Grant>;
  /** The provider answered 429: pause every process on this key for `ms` (Retry-After). A string is the reason (cause 'unknown'). */
  pause(ms: number, opts?: PauseOptions | string): Promise<void>;
  /** Quota exhausted or account in arrears: no grants fleet-wide but one probe per interval, until resume(). */
  halt(reason: string, opts?: HaltOptions): Promise<void>;
  /** Ends a halt (the probe succeeded, or an operator said so). */
  resume(reason?: string): Promise<void>;
  stats(): Promise<LimiterStats>;
  /**
   * Callers of this process waiting with no slot placed for them yet: the
   * fleet's schedule had no room within their horizon, or their reservation
   * is on its way. Callers holding a slot only wait for its time, which a
   * sizing rule must not read as the budget binding.
   */
  backlog(): number;
  /** Rejects pending acquires, gives held slots back, flushes settles, stops every timer. */
  close(): Promise<void>;
}

/** Settings that tune the limiter; every process on a key should use the same ones. */
export interface LimiterTuning {
  /**
   * Added to each 1-second window: the schedule keeps its limits over every
   * 1000 + marginMs, and a slot that cannot be used within marginMs of its
   * time (late timer) is dropped unused. Default 10 (99 % of the limits).
   */
  marginMs?: number;
  /** How far ahead normal callers may reserve; also about the most a vip caller waits behind them. Default 50. */
  normalHorizonMs?: number;
  /** How far ahead vip callers may reserve; must exceed normalHorizonMs. Default 300. */
  vipHorizonMs?: number;
  /** Slots a waiting process asks for per turn. Default: half a normal horizon's worth (at least 1). */
  leaseSlots?: number;
  /** Most slots one reservation takes. Default 64. */
  maxLeaseSlots?: number;
  /** A cold fleet (idle for coldAfterMs) or one leaving a pause rises from rampFloor to its limits over this. Default 5000; 0: no ramp. */
  rampMs?: number;
  /** Share of the limits a ramp starts from. Default 0.1. */
  rampFloor?: number;
  /** No grant for this long makes the fleet cold. Default 10000. */
  coldAfterMs?: number;
  /** A requests / tokens 429 multiplies that budget by this. Default 0.8. */
  backoffFactor?: number;
  /** Lowest a budget is cut to. Default 0.25. */
  minFactor?: number;
  /** A cut budget climbs back to the full limit linearly over this. Default 60000. */
  recoveryMs?: number;
  /**
   * After the key's state was found missing or written by another Redis
   * server (restart, failover), no grant for this long: no window can then
   * hold grants of the old and the new schedule. Default one window plus
   * the vip horizon (1310 ms). Never less than the vip horizon.
   */
  fenceMs?: number;
  /** Token pacing runs at this multiple of the token limit (the exact window check binds; pacing only smooths). Default 1.25. */
  tokenPacing?: number;
  /** Minimum shares of normal lanes while saturated, e.g. { translate: 0.25 }. Default DEFAULT_LANE_SHARES. */
  laneShares?: Readonly<Record<string, number>>;
  /** Pending settles go to Redis with the next reservation, or after this long. Default 250. */
  settleFlushMs?: number;
  /** After this long without a Redis reply the limiter reports itself degraded. Default 1000. */
  redisTimeoutMs?: number;
  /** Upper bound of one pause(), so a bogus Retry-After cannot stall the fleet for hours. Default 300000. */
  maxPauseMs?: number;
  /** Prefix of the Redis keys (`<prefix>:{<key>}:state` …). Default 'rl'. */
  keyPrefix?: string;
  /**
   * Also hand out due slots at the end of the callback the event loop is
   * running (checkpoint.ts), not only from the dispatch timer, which a busy
   * event loop reaches late. Default true.
   */
  checkpoints?: boolean;
  /**
   * Hands a slot to its caller this long before its time: the grant then
   * says when the request may leave (sendAt) and by when (sendBy), and the
   * caller's sender keeps that window (issue 12: an event loop that reaches
   * a slot late no longer throws it away, it prepares the request ahead and
   * a thread with nothing else to do sends it on time). Only for callers
   * that honour sendAt, as @voc/llm's client does. Every horizon (and the
   * fence) moves this much further ahead, so slots are held early enough
   * to be handed off. Default 0: granted at the slot's time, send at once.
   */
  handoffMs?: number;
}

export interface RateLimiterOptions extends LimiterTuning {
  /** The limiter runs its scripts on this client; it never closes it. */
  redis: Redis;
  key: string;
  rps: number;
  /** Tokens per minute (MAX_API_TPM); 0 or omitted: requests only. */
  tpm?: number;
  registry?: Registry;
  log?: Logger;
  /**
   * Connection for fleet events (SUBSCRIBE: pause, halt, resume). Default: a
   * duplicate of `redis` that the limiter owns and closes; pass one to share
   * it between limiters (its owner closes it), or false to rely on the
   * reserve script alone (other processes then learn of a pause within one
   * horizon, of a resume within 5 s).
   */
  subscriber?: Redis | false;
}
