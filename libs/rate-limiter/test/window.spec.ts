import { maxInSlidingWindow, maxWeightedInSlidingWindow } from '../src/window';

describe('maxInSlidingWindow', () => {
  it('counts a half-open window [t, t + w)', () => {
    // 0 and 1000 are exactly one window apart: never in the same window.
    expect(maxInSlidingWindow([0, 500, 1000], 1000).count).toBe(2);
    expect(maxInSlidingWindow([0, 500, 999.9], 1000).count).toBe(3);
  });

  it('finds the densest window in unsorted input', () => {
    const t = [5000, 0, 100, 4100, 4200, 4300, 4999, 200];
    expect(maxInSlidingWindow(t, 1000)).toEqual({ count: 5, startMs: 4100 });
  });

  it('handles empty input and equal timestamps', () => {
    expect(maxInSlidingWindow([], 1000)).toEqual({ count: 0, startMs: undefined });
    expect(maxInSlidingWindow([7, 7, 7], 1000).count).toBe(3);
  });

  it('matches a brute-force count on random data', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 10_000;
    const t = Array.from({ length: 400 }, rand);
    const brute = Math.max(...t.map((s) => t.filter((x) => x >= s && x < s + 1000).length));
    expect(maxInSlidingWindow(t, 1000).count).toBe(brute);
  });
});

describe('maxWeightedInSlidingWindow', () => {
  it('sums weights in a half-open window [t, t + w)', () => {
    const e = [
      { at: 0, weight: 3000 },
      { at: 400, weight: 2000 },
      { at: 999, weight: 1000 },
      { at: 1000, weight: 5000 },
    ];
    expect(maxWeightedInSlidingWindow(e, 1000)).toEqual({ total: 8000, startMs: 400 });
    expect(maxWeightedInSlidingWindow([], 1000)).toEqual({ total: 0, startMs: undefined });
  });

  it('matches a brute-force sum on random data', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const e = Array.from({ length: 300 }, () => ({ at: rand() * 10_000, weight: Math.round(1000 + 2000 * rand()) }));
    const brute = Math.max(...e.map((s) => e.filter((x) => x.at >= s.at && x.at < s.at + 1000).reduce((n, x) => n + x.weight, 0)));
    expect(maxWeightedInSlidingWindow(e, 1000).total).toBe(brute);
  });
});
