import type { DataReview } from '@voc/e2e';
import { planUploads, reviewKey } from '../src/uploads';

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
