import type { SendWindow } from './grant';
import type { HeldSlot } from './held-slots';
import type { Priority } from './types';

export interface Waiter {
  readonly priority: Priority;
  readonly lane: string;
  readonly tokens: number;
  /** performance.now() when acquire() was called. */
  readonly since: number;
  /** The held slot reserved for this caller, if any. */
  slot: HeldSlot | undefined;
  /** performance.now() when a later caller of its process was first placed before it (best fit), if ever. */
  passedOverAt?: number;
  /** Resolves the caller with `slot`, granted at `at` (performance.now()), `lateMs` after the slot's time (Grant.lateMs), to be sent within `window`. */
  grant(slot: HeldSlot, at: number, lateMs: number, window: SendWindow): void;
  reject(err: unknown): void;
}

/** Callers of acquire() in this process: vip first, then normal callers of every lane in arrival order. */
export class WaiterQueue {
  private readonly queues: Record<Priority, Waiter[]> = { vip: [], normal: [] };
  private readonly members = new Set<Waiter>();

  get size(): number {
    return this.queues.vip.length + this.queues.normal.length;
  }

  count(priority: Priority): number {
    return this.queues[priority].length;
  }

  /** Waiters with no slot reserved for them. */
  unboundCount(): number {
    let n = 0;
    for (const w of this.members) if (!w.slot) n++;
    return n;
  }

  push(w: Waiter): void {
    this.queues[w.priority].push(w);
    this.members.add(w);
  }

  has(w: Waiter): boolean {
    return this.members.has(w);
  }

  /** Removes a waiter (served, or gave up); false if it was not waiting. */
  remove(w: Waiter): boolean {
    const q = this.queues[w.priority];
    const i = q.indexOf(w);
    if (i < 0) return false;
    q.splice(i, 1);
    this.members.delete(w);
    return true;
  }

  /** The first waiter, vip before normal, that `match` accepts. */
  find(match: (w: Waiter) => boolean, priorities: readonly Priority[] = ['vip', 'normal']): Waiter | undefined {
    for (const p of priorities) {
      const w = this.queues[p].find(match);
      if (w) return w;
    }
    return undefined;
  }

  /** Up to `max` waiters of `priority` without a slot, in serving order (normal: of the oldest such waiter's lane). */
  unbound(priority: Priority, max: number): Waiter[] {
    const out: Waiter[] = [];
    let lane: string | undefined;
    for (const w of this.queues[priority]) {
      if (w.slot) continue;
      if (priority === 'normal') {
        lane ??= w.lane;
        if (w.lane !== lane) continue;
      }
      out.push(w);
      if (out.length >= max) break;
    }
    return out;
  }

  /** Up to `max` normal waiters without a slot, of every lane, in arrival order. */
  unboundAnyLane(max: number): Waiter[] {
    const out: Waiter[] = [];
    for (const w of this.queues.normal) {
      if (w.slot) continue;
      out.push(w);
      if (out.length >= max) break;
    }
    return out;
  }

  drain(): Waiter[] {
    const all = [...this.queues.vip, ...this.queues.normal];
    this.queues.vip = [];
    this.queues.normal = [];
    this.members.clear();
    return all;
  }
}
