import { PROMPT_KINDS, type PromptKind } from '@voc/prompts';

/**
 * Counts arrivals in a sliding window. Only the arrivals of the last window
 * are kept, so memory is bounded by the arrival rate, and the count at each
 * arrival is exact: the busiest window always ends at some arrival.
 */
export class SlidingWindowCounter {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly windowMs = 1000) {}

  /** Records an arrival at `now` (monotonic ms) and returns the arrivals in (now − window, now]. */
  record(now: number): number {
    this.times.push(now);
    while ((this.times[this.head] as number) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }
}

export interface SimStatsSnapshot {
  requests: number;
  byKind: Record<PromptKind, number>;
  rejected429: number;
  errors5xx: number;
  malformed: number;
  tokens: { prompt: number; completion: number };
  maxRequestsIn1s: number;
}

const zeroKinds = () => Object.fromEntries(PROMPT_KINDS.map((k) => [k, 0])) as Record<PromptKind, number>;

/** GET /stats of contract C6. Every received chat request counts, answered or not. */
export class SimStats {
  private readonly window = new SlidingWindowCounter(1000);
  private s: SimStatsSnapshot = SimStats.zero();

  private static zero(): SimStatsSnapshot {
    return { requests: 0, byKind: zeroKinds(), rejected429: 0, errors5xx: 0, malformed: 0, tokens: { prompt: 0, completion: 0 }, maxRequestsIn1s: 0 };
  }

  arrival(now: number): void {
    this.s.requests++;
    this.s.maxRequestsIn1s = Math.max(this.s.maxRequestsIn1s, this.window.record(now));
  }

  kind(kind: PromptKind): void {
    this.s.byKind[kind]++;
  }

  rejected(): void {
    this.s.rejected429++;
  }

  serverError(): void {
    this.s.errors5xx++;
  }

  malformed(): void {
    this.s.malformed++;
  }

  tokens(prompt: number, completion: number): void {
    this.s.tokens.prompt += prompt;
    this.s.tokens.completion += completion;
  }

  snapshot(): SimStatsSnapshot {
    return structuredClone(this.s);
  }

  reset(): void {
    this.s = SimStats.zero();
    this.window.clear();
  }
}
