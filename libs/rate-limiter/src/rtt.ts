/**
 * Recent Redis round trips of this process, to size how far ahead it
 * reserves: a slot that arrives after its time is lost, so on a loaded
 * machine (replies taking tens of ms) the horizon must stretch with them.
 */
export class RecentRoundTrips {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 16) {}

  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  /** The median of the recent round trips (0 before any). */
  typical(): number {
    if (this.samples.length === 0) return 0;
    const s = [...this.samples].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] as number;
  }
}
