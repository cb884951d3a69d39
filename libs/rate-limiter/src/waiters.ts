import type { Priority } from './types';

export interface Waiter {
  readonly priority: Priority;
  /** performance.now() when acquire() was called. */
  readonly since: number;
  grant(): void;
  reject(err: unknown): void;
}

/** Callers of acquire() in this process, vip first, each lane first come first served. */
export class WaiterQueue {
  private readonly lanes: Record<Priority, Waiter[]> = { vip: [], normal: [] };

  get size(): number {
    return this.lanes.vip.length + this.lanes.normal.length;
  }

  count(priority: Priority): number {
    return this.lanes[priority].length;
  }

  push(w: Waiter): void {
    this.lanes[w.priority].push(w);
  }

  /** Removes a waiter that gave up; false if it was already served. */
  remove(w: Waiter): boolean {
    const lane = this.lanes[w.priority];
    const i = lane.indexOf(w);
    if (i < 0) return false;
    lane.splice(i, 1);
    return true;
  }

  /** The next waiter to serve: the oldest vip, else the oldest normal. */
  shift(): Waiter | undefined {
    return this.lanes.vip.shift() ?? this.lanes.normal.shift();
  }

  drain(): Waiter[] {
    const all = [...this.lanes.vip, ...this.lanes.normal];
    this.lanes.vip = [];
    this.lanes.normal = [];
    return all;
  }
}
