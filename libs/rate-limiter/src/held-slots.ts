import type { Waiter } from './waiters';

/** A slot this process reserved on the shared schedule and has not used yet. */
export interface HeldSlot {
  /** Its time on Redis' clock (µs): what Redis knows it by. */
  readonly redisUs: number;
  /**
   * Its time on this process's clock (performance.now() ms), mapped as late
   * as the clock map allows, so the slot is never used early. The dispatch
   * re-checks against the map's current bounds.
   */
  localAt: number;
  /** Tokens the slot carries in Redis' token log. */
  readonly tokens: number;
  /** The fleet's one probe while halted. */
  readonly probe: boolean;
  /** How late beyond the margin it may still be granted (µs; reserve.lua's extension, 0 for most). */
  readonly extUs: number;
  /** The caller it is reserved for; any other caller that fits may take it instead. */
  waiter: Waiter | undefined;
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

  /** The earliest slot that `match` accepts. */
  find(match: (s: HeldSlot) => boolean): HeldSlot | undefined {
    return this.slots.find(match);
  }

  remove(s: HeldSlot): boolean {
    const i = this.slots.indexOf(s);
    if (i < 0) return false;
    this.slots.splice(i, 1);
    return true;
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
