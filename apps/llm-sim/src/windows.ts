/**
 * A sliding-window sum over timed amounts (requests count 1, calls count
 * their tokens). Only the entries of the last window are kept, so memory is
 * bounded by the arrival rate; the sum at each record is exact, and the
 * busiest window always ends at some record.
 */
export class SlidingWindowSum {
  private times: number[] = [];
  private amounts: number[] = [];
  private head = 0;
  private sum = 0;

  constructor(readonly windowMs: number) {}

  private evict(now: number): void {
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.windowMs) {
      this.sum -= this.amounts[this.head] as number;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.amounts = this.amounts.slice(this.head);
      this.head = 0;
    }
  }

  /** The sum over (now − window, now] without recording anything. */
  current(now: number): number {
    this.evict(now);
    return this.sum;
  }

  /** Records `amount` at `now` (monotonic ms) and returns the sum over (now − window, now]. */
  record(now: number, amount = 1): number {
    this.evict(now);
    this.times.push(now);
    this.amounts.push(amount);
    this.sum += amount;
    return this.sum;
  }

  /** How long until the window's sum, plus `extra`, fits under `limit` again (0 if it does now). */
  msUntilFits(now: number, extra: number, limit: number): number {
    this.evict(now);
    let excess = this.sum + extra - limit;
    for (let i = this.head; i < this.times.length && excess > 0; i++) {
      excess -= this.amounts[i] as number;
      if (excess <= 0) return Math.max(0, (this.times[i] as number) + this.windowMs - now);
    }
    return excess > 0 ? this.windowMs : 0;
  }

  clear(): void {
    this.times = [];
    this.amounts = [];
    this.head = 0;
    this.sum = 0;
  }
}

/** Counts arrivals in a sliding window (a SlidingWindowSum of ones). */
export class SlidingWindowCounter extends SlidingWindowSum {
  constructor(windowMs = 1000) {
    super(windowMs);
  }
}
