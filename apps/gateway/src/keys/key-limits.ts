/**
 * Per-key limits shared by every gateway replica (in Redis): a token bucket
 * of GATEWAY_KEY_RPS requests per second with a burst of twice that, a count
 * of reviews accepted per UTC day against GATEWAY_KEY_REVIEWS_PER_DAY, and
 * cooldowns on the expensive actions (learning, reports) per key and product.
 * Each check is one script call. When Redis cannot answer, the limits fail
 * OPEN: uploads need only NATS, and refusing every request because a counter
 * is away would turn a Redis outage into an API outage. That state is logged
 * on every change and shown by `gateway_key_limits_degraded`.
 */
import type Redis from 'ioredis';
import type { Logger } from '@voc/service-kit';
import type { GatewayMetrics } from '../metrics';
import { KEY_LIMITS_LUA } from './key-limits.lua';

export interface KeyLimitSettings {
  /** Requests per second per key; the bucket holds `burst` (2 × rps). */
  rps: number;
  burst: number;
  /** Reviews accepted per key per UTC day; undefined = unlimited. */
  reviewsPerDay?: number;
  learnCooldownS: number;
  reportCooldownS: number;
}

export type CooldownAction = 'learn' | 'report';

export interface LimitDecision {
  allowed: boolean;
  /** Whole seconds to wait when refused (≥ 1). */
  retryAfterS: number;
  /** Requests the key's bucket still held after this one (takeRequest with Redis answering). */
  tokensLeft?: number;
}

export interface KeyUsage {
  mode: 'redis' | 'degraded';
  /** Requests the key may send right now (null while Redis is unreachable). */
  requestsAvailable: number | null;
  reviewsToday: number | null;
  day: string;
  dayResetsAt: string;
}

type LimitsRedis = Redis & { vocKeyLimits(keys: number, ...args: (string | number)[]): Promise<number[]> };

const DAY_TTL_S = 2 * 86_400;
const ALLOW: LimitDecision = { allowed: true, retryAfterS: 0 };

const utcDay = (now: Date) => now.toISOString().slice(0, 10);
const nextUtcMidnight = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export class KeyLimits {
  private readonly redis: LimitsRedis;
  private degraded = false;

  constructor(
    redis: Redis,
    readonly settings: KeyLimitSettings,
    private readonly log: Logger,
    private readonly metrics: GatewayMetrics,
    private readonly prefix = 'voc:gw:key',
  ) {
    const r = redis as unknown as Partial<LimitsRedis>;
    if (!r.vocKeyLimits) redis.defineCommand('vocKeyLimits', { lua: KEY_LIMITS_LUA });
    this.redis = redis as unknown as LimitsRedis;
    metrics.keyLimitsDegraded.set(0);
  }

  get mode(): 'redis' | 'degraded' {
    return this.degraded ? 'degraded' : 'redis';
  }

  private bucketKey = (id: string) => `${this.prefix}:${id}:bucket`;
  private dayKey = (id: string, now: Date) => `${this.prefix}:${id}:reviews:${utcDay(now)}`;

  /** Runs a script call; on any Redis failure answers `fallback` (fail open) and records the degraded state. */
  private async call<T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const v = await run();
      if (this.degraded) {
        this.degraded = false;
        this.metrics.keyLimitsDegraded.set(0);
        this.log.info('per-key limits: Redis answers again; limits enforced');
      }
      return v;
    } catch (err) {
      this.metrics.keyLimitsFailOpen.inc({ check: what });
      if (!this.degraded) {
        this.degraded = true;
        this.metrics.keyLimitsDegraded.set(1);
        this.log.warn({ err: (err as Error).message, check: what }, 'per-key limits: Redis unreachable; limits NOT enforced (fail open) until it answers');
      }
      return fallback;
    }
  }

  /** One request of `keyId`: a token from its bucket, or a refusal with the time until the next token. */
  takeRequest(keyId: string): Promise<LimitDecision> {
    const { rps, burst } = this.settings;
    return this.call(
      'request',
      async () => {
        const [ok, tokens, waitMs] = await this.redis.vocKeyLimits(1, this.bucketKey(keyId), 'take', rps, burst);
        const tokensLeft = Math.floor((tokens ?? 0) / 1000);
        return ok === 1 ? { allowed: true, retryAfterS: 0, tokensLeft } : { allowed: false, retryAfterS: seconds(waitMs ?? 1000), tokensLeft };
      },
      ALLOW,
    );
  }

  /** Counts `n` reviews against today's quota (only when one is set); refused if they would exceed it. */
  async reserveReviews(keyId: string, n: number, now = new Date()): Promise<LimitDecision> {
    const limit = this.settings.reviewsPerDay;
    if (limit === undefined) return ALLOW;
    return this.call(
      'reviews',
      async () => {
        const [ok] = await this.redis.vocKeyLimits(2, this.bucketKey(keyId), this.dayKey(keyId, now), 'reviews', n, limit, DAY_TTL_S);
        return ok === 1 ? ALLOW : { allowed: false, retryAfterS: seconds(nextUtcMidnight(now).getTime() - now.getTime()) };
      },
      ALLOW,
    );
  }

  /** Gives back a reservation whose upload was not accepted after all (NATS refused it). */
  async refundReviews(keyId: string, n: number, now = new Date()): Promise<void> {
    if (this.settings.reviewsPerDay === undefined) return;
    await this.call('refund', () => this.redis.vocKeyLimits(2, this.bucketKey(keyId), this.dayKey(keyId, now), 'refund', n), undefined);
  }

  /** Starts the key's cooldown for `action` on `asin`, or says how long the running one has left. */
  cooldown(keyId: string, action: CooldownAction, asin: string): Promise<LimitDecision> {
    const s = action === 'learn' ? this.settings.learnCooldownS : this.settings.reportCooldownS;
    if (s <= 0) return Promise.resolve(ALLOW);
    return this.call(
      'cooldown',
      async () => {
        const [ok, leftMs] = await this.redis.vocKeyLimits(1, `${this.prefix}:${keyId}:cooldown:${action}:${asin}`, 'cooldown', s * 1000);
        return ok === 1 ? ALLOW : { allowed: false, retryAfterS: seconds(leftMs ?? 1000) };
      },
      ALLOW,
    );
  }

  async usage(keyId: string, now = new Date()): Promise<KeyUsage> {
    const { rps, burst } = this.settings;
    const got = await this.call<{ requestsAvailable: number | null; reviewsToday: number | null }>(
      'usage',
      async () => {
        const [, tokens, , reviews] = await this.redis.vocKeyLimits(2, this.bucketKey(keyId), this.dayKey(keyId, now), 'peek', rps, burst);
        return { requestsAvailable: Math.floor((tokens ?? 0) / 1000), reviewsToday: reviews ?? 0 };
      },
      { requestsAvailable: null, reviewsToday: null },
    );
    return { mode: this.mode, ...got, day: utcDay(now), dayResetsAt: nextUtcMidnight(now).toISOString() };
  }
}
