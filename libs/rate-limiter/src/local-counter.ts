/**
 * Grants and tokens of this process per wall-clock second, for stats()
 * while Redis is unreachable (the fleet-wide counts live in Redis).
 */
export class LocalGrantCounter {
  private readonly seconds = new Map<number, { grants: number; tokens: number }>();

  record(tokens: number, nowMs = Date.now()): void {
    const s = Math.floor(nowMs / 1000);
    const c = this.seconds.get(s) ?? { grants: 0, tokens: 0 };
    c.grants++;
    c.tokens += tokens;
    this.seconds.set(s, c);
    for (const k of this.seconds.keys()) if (k < s - 11) this.seconds.delete(k);
  }

  /** Grants and tokens in the last full second and in the last ten full seconds. */
  counts(nowMs = Date.now()): { lastSecond: number; last10s: number; tokensLastSecond: number; tokensLast10s: number } {
    const s = Math.floor(nowMs / 1000);
    let last10s = 0;
    let tokensLast10s = 0;
    for (let k = s - 10; k < s; k++) {
      last10s += this.seconds.get(k)?.grants ?? 0;
      tokensLast10s += this.seconds.get(k)?.tokens ?? 0;
    }
    const last = this.seconds.get(s - 1);
    return { lastSecond: last?.grants ?? 0, last10s, tokensLastSecond: last?.tokens ?? 0, tokensLast10s };
  }
}
