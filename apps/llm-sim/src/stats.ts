import { PROMPT_KINDS, type PromptKind } from '@voc/prompts';
import { THROTTLE_CAUSES, type ThrottleCause } from './limits';
import { SlidingWindowCounter, SlidingWindowSum } from './windows';

export { SlidingWindowCounter } from './windows';

export interface SimStatsSnapshot {
  requests: number;
  byKind: Record<PromptKind, number>;
  rejected429: number;
  /** The 429s by cause: request limits, token limits, burst rule. */
  rejected429ByCause: Record<ThrottleCause, number>;
  /** 403 Arrearage answers. */
  rejected403: number;
  errors5xx: number;
  malformed: number;
  /**
   * Tokens of answered calls as reported in `usage` (cached: the part of prompt served from the context
   * cache), and `counted`: every admitted call's tokens by the counting rule (prompt + reserved completion).
   */
  tokens: { prompt: number; completion: number; cached: number; counted: number };
  maxRequestsIn1s: number;
  /** The most tokens admitted in any sliding second / minute, counted like the limit counts them (prompt + reserved completion). */
  maxTokensIn1s: number;
  maxTokensIn60s: number;
}

const zeroKinds = () => Object.fromEntries(PROMPT_KINDS.map((k) => [k, 0])) as Record<PromptKind, number>;
const zeroCauses = () => Object.fromEntries(THROTTLE_CAUSES.map((c) => [c, 0])) as Record<ThrottleCause, number>;

/** GET /stats of contract C6 (with C8's token figures). Every received chat request counts, answered or not. */
export class SimStats {
  private readonly window = new SlidingWindowCounter(1000);
  private readonly tokens1s = new SlidingWindowSum(1000);
  private readonly tokens60s = new SlidingWindowSum(60_000);
  private s: SimStatsSnapshot = SimStats.zero();

  private static zero(): SimStatsSnapshot {
    return {
      requests: 0,
      byKind: zeroKinds(),
      rejected429: 0,
      rejected429ByCause: zeroCauses(),
      rejected403: 0,
      errors5xx: 0,
      malformed: 0,
      tokens: { prompt: 0, completion: 0, cached: 0, counted: 0 },
      maxRequestsIn1s: 0,
      maxTokensIn1s: 0,
      maxTokensIn60s: 0,
    };
  }

  arrival(now: number): void {
    this.s.requests++;
    this.s.maxRequestsIn1s = Math.max(this.s.maxRequestsIn1s, this.window.record(now));
  }

  /** A call admitted with `tokens` counted against the account's token windows. */
  admitted(now: number, tokens: number): void {
    this.s.tokens.counted += tokens;
    this.s.maxTokensIn1s = Math.max(this.s.maxTokensIn1s, this.tokens1s.record(now, tokens));
    this.s.maxTokensIn60s = Math.max(this.s.maxTokensIn60s, this.tokens60s.record(now, tokens));
  }

  kind(kind: PromptKind): void {
    this.s.byKind[kind]++;
  }

  rejected(cause: ThrottleCause): void {
    this.s.rejected429++;
    this.s.rejected429ByCause[cause]++;
  }

  arrears(): void {
    this.s.rejected403++;
  }

  serverError(): void {
    this.s.errors5xx++;
  }

  malformed(): void {
    this.s.malformed++;
  }

  tokens(prompt: number, completion: number, cached = 0): void {
    this.s.tokens.prompt += prompt;
    this.s.tokens.completion += completion;
    this.s.tokens.cached += cached;
  }

  snapshot(): SimStatsSnapshot {
    return structuredClone(this.s);
  }

  reset(): void {
    this.s = SimStats.zero();
    this.window.clear();
    this.tokens1s.clear();
    this.tokens60s.clear();
  }
}
