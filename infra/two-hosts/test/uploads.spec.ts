import type { DataReview } from '@voc/e2e';
import type { GatewayClient } from '@voc/e2e';
import { mergeOutcomes, planUploads, retryableStatus, reviewKey, sendUploads, type UploadChunk } from '../src/uploads';

function product(asin: string, n: number): DataReview[] {
  return Array.from({ length: n }, (_, i) => ({ asin, reviewId: `${asin}-r${i}`, rating: 5, body: `review ${i} of ${asin}` }));
}

const data = new Map<string, DataReview[]>([
  ['SMALL', product('SMALL', 5)],
  ['BIG', product('BIG', 300)],
  ['MID', product('MID', 120)],
  ['MID2', product('MID2', 120)],
]);

describe('planUploads', () => {
  const plan = planUploads(data, { products: 3, maxPerProduct: 200, firstShare: 0.7, chunkSize: 50 });

  it('takes the largest products (ties by asin), each capped', () => {
    expect(plan.asins).toEqual(['BIG', 'MID', 'MID2']);
    expect(plan.keys.size).toBe(200 + 120 + 120);
  });

  it('uploads every picked review exactly once over the two waves, plus one re-sent chunk', () => {
    const all = [...plan.first, ...plan.second].flatMap((c) => c.reviews.map(reviewKey));
    expect(new Set(all)).toEqual(plan.keys);
    const resent = plan.second[plan.second.length - 1]!;
    expect(resent).toBe(plan.first[0]);
    expect(all.length).toBe(plan.keys.size + resent.reviews.length);
  });

  it('keeps the last product for the second wave only, and splits the others by firstShare', () => {
    const firstAsins = new Set(plan.first.map((c) => c.asin));
    expect(firstAsins).toEqual(new Set(['BIG', 'MID']));
    const firstOf = (asin: string) => plan.first.filter((c) => c.asin === asin).reduce((n, c) => n + c.reviews.length, 0);
    expect(firstOf('BIG')).toBe(140);
    expect(firstOf('MID')).toBe(84);
  });

  it('interleaves products and never exceeds the chunk size', () => {
    expect(plan.first.slice(0, 2).map((c) => c.asin)).toEqual(['BIG', 'MID']);
    for (const c of [...plan.first, ...plan.second]) expect(c.reviews.length).toBeLessThanOrEqual(50);
  });

  it('drops a review id repeated in the data', () => {
    const twice = new Map([...data, ['BIG', [...product('BIG', 300), ...product('BIG', 2)]]]);
    const p = planUploads(twice, { products: 2, maxPerProduct: 1000, firstShare: 0.5, chunkSize: 100 });
    expect(p.keys.size).toBe(420);
    expect([...p.first, ...p.second.slice(0, -1)].reduce((n, c) => n + c.reviews.length, 0)).toBe(420);
  });

  it('refuses plans it cannot make', () => {
    expect(() => planUploads(data, { products: 1, maxPerProduct: 10, firstShare: 0.5, chunkSize: 10 })).toThrow('at least 2 products');
    expect(() => planUploads(data, { products: 9, maxPerProduct: 10, firstShare: 0.5, chunkSize: 10 })).toThrow('the data has 4 products, 9 wanted');
  });
});

/** A gateway that answers each chunk's attempts from a script: a status, or 'refused' for a connection error. */
function scriptedGateway(script: Record<string, (number | 'refused')[]>): { gw: GatewayClient; calls: string[] } {
  const calls: string[] = [];
  const gw = {
    upload: async (asin: string) => {
      calls.push(asin);
      const next = script[asin]!.shift() ?? 202;
      if (next === 'refused') throw new Error('connect ECONNREFUSED');
      return { status: next, body: next === 202 ? { uploadId: 'u', accepted: 1 } : { error: { code: 'x' } } };
    },
  } as unknown as GatewayClient;
  return { gw, calls };
}

const chunk = (asin: string): UploadChunk => ({ asin, reviews: product(asin, 2) });

describe('sendUploads', () => {
  it('retries what a plug-in retries (502, 503, 504, a refused connection) until the 202, and counts each by answer', async () => {
    const { gw, calls } = scriptedGateway({ A: [503, 502, 202], B: ['refused', 504, 202], C: [202] });
    const out = await sendUploads(gw, [chunk('A'), chunk('B'), chunk('C')], 2, 10_000, { retryEveryMs: 1 });
    expect(out).toMatchObject({ sent: 3, accepted: 3, retries: 4, retriedBy: { '503': 1, '502': 1, '504': 1, connection: 1 }, failures: [] });
    expect(calls.filter((a) => a === 'A')).toHaveLength(3);
    expect(out.acceptedChunks.map((c) => c.asin).sort()).toEqual(['A', 'B', 'C']);
  });

  it('does not retry the request\'s fault or a bug: a 400 or a 500 is a failure at once', async () => {
    const { gw, calls } = scriptedGateway({ A: [400], B: [500], C: [202] });
    const out = await sendUploads(gw, [chunk('A'), chunk('B'), chunk('C')], 1, 10_000, { retryEveryMs: 1 });
    expect(out.accepted).toBe(1);
    expect(out.retries).toBe(0);
    expect(calls).toEqual(['A', 'B', 'C']);
    expect(out.failures).toEqual([expect.stringMatching(/^A \(2 reviews\): 400 /), expect.stringMatching(/^B \(2 reviews\): 500 /)]);
  });

  it('gives up on a chunk still refused after retryForMs, naming the last answer', async () => {
    const { gw } = scriptedGateway({ A: Array.from({ length: 1000 }, () => 503 as const) });
    const out = await sendUploads(gw, [chunk('A')], 1, 30, { retryEveryMs: 5 });
    expect(out.accepted).toBe(0);
    expect(out.failures).toEqual([expect.stringMatching(/^A \(2 reviews\): still failing after 30 ms: 503 /)]);
    expect(out.retries).toBeGreaterThan(0);
  });

  it('retryableStatus: only the gateway\'s and the load balancer\'s "try again"', () => {
    expect([502, 503, 504].every(retryableStatus)).toBe(true);
    expect([200, 202, 400, 401, 413, 429, 500].some(retryableStatus)).toBe(false);
  });

  it('mergeOutcomes adds two parts of a wave', () => {
    const a = { sent: 2, accepted: 2, acceptedChunks: [chunk('A')], retries: 1, retriedBy: { '503': 1 }, failures: [] };
    const b = { sent: 3, accepted: 2, acceptedChunks: [chunk('B')], retries: 3, retriedBy: { '503': 2, '502': 1 }, failures: ['C: 400'] };
    expect(mergeOutcomes(a, b)).toEqual({ sent: 5, accepted: 4, acceptedChunks: [chunk('A'), chunk('B')], retries: 4, retriedBy: { '503': 3, '502': 1 }, failures: ['C: 400'] });
  });
});
