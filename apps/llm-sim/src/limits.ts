import { SlidingWindowCounter, SlidingWindowSum } from './windows';

/** Why the account refused a call (each has its own provider error code, see provider-errors.ts). */
export type ThrottleCause = 'requests' | 'tokens' | 'burst';
export const THROTTLE_CAUSES: readonly ThrottleCause[] = ['requests', 'tokens', 'burst'];

export interface AccountLimitSettings {
  /** Requests per second; the per-minute limit is 60 × this (the provider's RPS = RPM / 60). 0 = none. */
  rpsLimit: number;
  /** Tokens per sliding minute, and TPM / 60 per sliding second. 0 = none. */
  tpmLimit: number;
  /** Burst rule: a sliding second with more than this × the requests of the second before it is refused. 0 = off. */
  burstFactor: number;
  /** Below this many requests in a second the burst rule never fires (a ramp may start anywhere under it). */
  burstFloorRps: number;
}

export interface Throttled {
  cause: ThrottleCause;
  /** What the 429's Retry-After says. */
  retryAfterMs: number;
  message: string;
}

/**
 * The account's limits as the provider enforces them (DashScope's rate-limit
 * page): requests and tokens, each per sliding minute and per sliding second,
 * plus a burst rule. Every request received counts against the request
 * windows (a refused one too); a call's tokens count against the token
 * windows of the moment it arrives, as its prompt tokens plus the completion
 * it reserves (`max_tokens`, or the model's default maximum), and only when
 * the call is admitted. (With every sliding second held to its limit, the
 * minute limits cannot bind first: a sliding minute is sixty disjoint sliding
 * seconds. They are checked anyway, as the provider states them.)
 */
export class AccountLimits {
  private readonly req1s = new SlidingWindowCounter(1000);
  private readonly req60s = new SlidingWindowCounter(60_000);
  private readonly req2s = new SlidingWindowCounter(2000);
  private readonly tok1s = new SlidingWindowSum(1000);
  private readonly tok60s = new SlidingWindowSum(60_000);

  constructor(private readonly s: AccountLimitSettings) {}

  /** Records an arrival; a refusal by the request limits or the burst rule, or undefined. */
  arrive(now: number): Throttled | undefined {
    const in1s = this.req1s.record(now);
    const in60s = this.req60s.record(now);
    const in2s = this.req2s.record(now);
    const { rpsLimit, burstFactor, burstFloorRps } = this.s;
    if (rpsLimit > 0 && (in1s > rpsLimit || in60s > rpsLimit * 60)) {
      const perMinute = in60s > rpsLimit * 60;
      return {
        cause: 'requests',
        retryAfterMs: perMinute ? Math.max(1000, this.req60s.msUntilFits(now, 1, rpsLimit * 60)) : 1000,
        message: `Requests rate limit exceeded, please try again later. (limit: ${rpsLimit} requests per second, ${rpsLimit * 60} per minute)`,
      };
    }
    if (burstFactor > 0 && in1s > burstFloorRps) {
      const before = in2s - in1s;
      if (in1s > burstFactor * before) {
        return {
          cause: 'burst',
          retryAfterMs: 1000,
          message: `Request rate increased too quickly. To ensure system stability, please adjust your client logic to scale requests more smoothly over time. (${in1s} requests in the last second, ${before} in the second before)`,
        };
      }
    }
    return undefined;
  }

  /** Admits a call's tokens into the windows, or refuses it (then nothing is recorded). */
  admitTokens(now: number, tokens: number): Throttled | undefined {
    const { tpmLimit } = this.s;
    if (tpmLimit <= 0) {
      this.tok1s.record(now, tokens);
      this.tok60s.record(now, tokens);
      return undefined;
    }
    const perSecond = tpmLimit / 60;
    const over1s = this.tok1s.current(now) + tokens > perSecond;
    const over60s = this.tok60s.current(now) + tokens > tpmLimit;
    if (over1s || over60s) {
      const wait = Math.max(
        over1s ? this.tok1s.msUntilFits(now, tokens, perSecond) : 0,
        over60s ? this.tok60s.msUntilFits(now, tokens, tpmLimit) : 0,
      );
      return {
        cause: 'tokens',
        retryAfterMs: Math.max(1000, Math.ceil(wait / 1000) * 1000),
        message: `Allocated quota exceeded, please increase your quota limit. (limit: ${tpmLimit} tokens per minute, ${Math.floor(perSecond)} per second; this call: ${tokens})`,
      };
    }
    this.tok1s.record(now, tokens);
    this.tok60s.record(now, tokens);
    return undefined;
  }

  clear(): void {
    for (const w of [this.req1s, this.req60s, this.req2s, this.tok1s, this.tok60s]) w.clear();
  }
}
