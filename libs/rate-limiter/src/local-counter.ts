/**
 * Grants of this process per wall-clock second, for stats() while Redis is
 * unreachable (the fleet-wide counts live in Redis).
 */
export class LocalGrantCounter {
  private readonly seconds = new Map<number, number>();

  record(nowMs = Date.now()): void {
    const s = Math.floor(nowMs / 1000);
    this.seconds.set(s, (this.seconds.get(s) ?? 0) + 1);
    for (const k of this.seconds.keys()) if (k < s - 11) this.seconds.delete(k);
  }

  /** Grants in the last full second and in the last ten full seconds. */
  counts(nowMs = Date.now()): { lastSecond: number; last10s: number } {
    const s = Math.floor(nowMs / 1000);
    let last10s = 0;
    for (let k = s - 10; k < s; k++) last10s += this.seconds.get(k) ?? 0;
    return { lastSecond: this.seconds.get(s - 1) ?? 0, last10s };
  }
}
