/** A token adjustment for Redis: [slot µs, token delta, 1 if the request was never sent]. */
export type Adjustment = [slotUs: number, delta: number, cancelled: 0 | 1];

/**
 * Settles and cancels waiting to go to Redis. They ride along with the next
 * reservation or give-back; a process with nothing else to send flushes
 * them on its own after `flushMs`. Lost on a failed call (at most once):
 * an adjustment only corrects the record, never the limit's guarantee.
 */
export class SettleBatch {
  private pending: Adjustment[] = [];
  private oldest = Infinity;

  get size(): number {
    return this.pending.length;
  }

  /** performance.now() of the oldest pending adjustment (Infinity when none). */
  get oldestAt(): number {
    return this.oldest;
  }

  add(a: Adjustment, now: number): void {
    if (a[1] === 0 && a[2] === 0) return;
    if (this.pending.length === 0) this.oldest = now;
    this.pending.push(a);
  }

  take(): Adjustment[] {
    const all = this.pending;
    this.pending = [];
    this.oldest = Infinity;
    return all;
  }
}
