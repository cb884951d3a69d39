import { SimStats, SlidingWindowCounter } from '../src/stats';
import { Rng } from '../src/random';

/** The most arrivals in any window (t − 1000, t], by brute force. */
function bruteForceMax(times: number[]): number {
  let best = 0;
  for (const t of times) best = Math.max(best, times.filter((x) => x > t - 1000 && x <= t).length);
  return best;
}

describe('SlidingWindowCounter', () => {
  it('counts the arrivals of the last second, the boundary excluded', () => {
    const w = new SlidingWindowCounter(1000);
    expect([0, 500, 999, 1000, 1500, 2600].map((t) => w.record(t))).toEqual([1, 2, 3, 3, 3, 1]);
  });

  it('gives the exact maximum over every sliding window, with bounded memory', () => {
    const rng = new Rng('window-test');
    let t = 0;
    const times: number[] = [];
    for (let i = 0; i < 3000; i++) {
      // Bursts and lulls.
      t += rng.chance(0.1) ? 400 * rng.next() : 5 * rng.next();
      times.push(t);
    }
    const stats = new SimStats();
    for (const x of times) stats.arrival(x);
    expect(stats.snapshot().maxRequestsIn1s).toBe(bruteForceMax(times));
    expect(stats.snapshot().requests).toBe(3000);
  });
});
