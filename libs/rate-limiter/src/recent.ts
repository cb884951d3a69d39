/** The last `size` samples of something measured in ms, and their quantiles. */
export class RecentSamples {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 16) {}

  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  /** The q-quantile (0 ≤ q < 1) of the recent samples, 0 before any. */
  quantile(q: number): number {
    if (this.samples.length === 0) return 0;
    const s = [...this.samples].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(s.length * q))] as number;
  }
}
