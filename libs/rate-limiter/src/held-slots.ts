/** A slot this process reserved on the shared schedule and has not used yet. */
export interface HeldSlot {
  /** Its time on Redis' clock (µs). */
  readonly redisUs: number;
  /**
   * Its time on this process's clock (performance.now() ms), mapped as late as
   * the reply allows: the reply's arrival stands for Redis' "now", so the slot
   * is never used early, only up to `rttMs` late.
   */
  readonly localAt: number;
  /** Round trip of the reservation that brought it: the uncertainty of `localAt`. */
  readonly rttMs: number;
}

/** Held slots in time order. */
export class HeldSlots {
  private slots: HeldSlot[] = [];

  get size(): number {
    return this.slots.length;
  }

  peek(): HeldSlot | undefined {
    return this.slots[0];
  }

  shift(): HeldSlot | undefined {
    return this.slots.shift();
  }

  insert(s: HeldSlot): void {
    // Leases arrive mostly in order: search from the end.
    let i = this.slots.length;
    while (i > 0 && (this.slots[i - 1] as HeldSlot).localAt > s.localAt) i--;
    this.slots.splice(i, 0, s);
  }

  /** Removes and returns the `n` latest slots. */
  takeLatest(n: number): HeldSlot[] {
    return n <= 0 ? [] : this.slots.splice(Math.max(0, this.slots.length - n));
  }

  /** Removes and returns the slots before `localTime`. */
  takeBefore(localTime: number): HeldSlot[] {
    let i = 0;
    while (i < this.slots.length && (this.slots[i] as HeldSlot).localAt < localTime) i++;
    return this.slots.splice(0, i);
  }

  takeAll(): HeldSlot[] {
    const all = this.slots;
    this.slots = [];
    return all;
  }
}
