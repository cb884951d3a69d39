import type { DataReview } from '@voc/e2e';
import { attemptTimeline, firstAcceptedAfter, gaps, longestGap, steadyChunks } from '../src/uploader';
import { timesUntil } from '../src/measure';

const review = (asin: string, i: number): DataReview => ({ asin, reviewId: `${asin}-r${i}`, rating: 5, body: `review ${i}` }) as DataReview;

describe('the requests of a wait', () => {
  it('are listed from the origin with their outcome and duration, only those that overlap the wait', () => {
    const attempts = [
      { sentAt: 500, answeredAt: 900, outcome: 'accepted' },
      { sentAt: 1200, answeredAt: 4200, outcome: 'timeout' },
      { sentAt: 4400, answeredAt: 4410, outcome: '503' },
      { sentAt: 4660, answeredAt: 4700, outcome: 'accepted' },
      { sentAt: 9000, answeredAt: 9050, outcome: 'accepted' },
    ];
    expect(attemptTimeline(attempts, 900, 4700, 1000)).toBe('-0.5 202 (0.4 s), +0.2 timeout (3.0 s), +3.4 503 (0.0 s), +3.7 202 (0.0 s)');
  });
});

describe('the waits between accepted uploads', () => {
  const at = [1000, 1500, 2000, 9500, 10_000];

  it('are the gaps from one 202 to the next (from the start to the first)', () => {
    expect(gaps(at)).toEqual([[0, 1000], [1000, 1500], [1500, 2000], [2000, 9500], [9500, 10_000]]);
  });

  it('finds the longest one overlapping a window, and the first 202 after a moment', () => {
    expect(longestGap(at)).toEqual({ ms: 7500, from: 2000 });
    // A kill at 3000: the gap that was running then counts, from its start.
    expect(longestGap(at, 3000, 10_000)).toEqual({ ms: 7500, from: 2000 });
    expect(longestGap(at, 9600, 20_000)).toEqual({ ms: 500, from: 9500 });
    expect(firstAcceptedAfter(at, 3000)).toBe(9500);
    expect(firstAcceptedAfter(at, 11_000)).toBeUndefined();
  });
});

describe('the steady stream of uploads', () => {
  it('sends the largest products interleaved, each review once, in chunks', () => {
    const data = new Map<string, DataReview[]>([
      ['B1', [1, 2, 3, 4, 5].map((i) => review('B1', i))],
      ['B2', [1, 2, 3].map((i) => review('B2', i))],
      ['B3', [review('B3', 1), review('B3', 1)]],
      ['B0', [1, 2].map((i) => review('B0', i))],
    ]);
    const chunks = steadyChunks(data, { products: 3, chunkSize: 2 });
    expect(chunks.map((c) => `${c.asin}:${c.reviews.map((r) => r.reviewId.split('-')[1]).join(',')}`)).toEqual([
      'B1:r1,r2',
      'B2:r1,r2',
      'B0:r1,r2',
      'B1:r3,r4',
      'B2:r3',
      'B1:r5',
    ]);
    expect(steadyChunks(data, { products: 4, chunkSize: 10 }).find((c) => c.asin === 'B3')!.reviews).toHaveLength(1);
    expect(() => steadyChunks(data, { products: 5, chunkSize: 2 })).toThrow('the data has 4 products, 5 wanted');
  });
});

describe('timing what recovers', () => {
  it('gives each probe the time it first answered true, and null to one that never did', async () => {
    const start = Date.now();
    let calls = 0;
    const times = await timesUntil(
      start,
      {
        now: async () => true,
        third: async () => ++calls >= 3,
        never: async () => false,
        throws: async () => {
          throw new Error('down');
        },
      },
      400,
      20,
    );
    expect(times.now).toBe(0);
    expect(times.third).not.toBeNull();
    expect(times.third!).toBeLessThan(0.4);
    expect(times.never).toBeNull();
    expect(times.throws).toBeNull();
  });
});
