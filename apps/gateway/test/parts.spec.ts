import type { ReviewInput } from '@voc/messaging';
import { partMsgId, planParts, toIngestProduct, toReviewInput } from '../src/ingest/parts';

const review = (i: number, body = `review body ${i}`): ReviewInput => ({ reviewId: `R${i}`, rating: (i % 5) + 1, body });
const reviews = (n: number, body?: (i: number) => string) => Array.from({ length: n }, (_, i) => review(i, body?.(i)));
const ids = (parts: { reviews: ReviewInput[] }[]) => parts.map((p) => p.reviews.map((r) => r.reviewId));

describe('planParts', () => {
  it('keeps a small upload in one part', () => {
    const parts = planParts('B00TEST001', undefined, reviews(3), { maxReviews: 200, maxBytes: 512 * 1024 });
    expect(ids(parts)).toEqual([['R0', 'R1', 'R2']]);
  });

  it('splits by review count, keeping order and every review exactly once', () => {
    const all = reviews(7);
    const parts = planParts('B00TEST001', undefined, all, { maxReviews: 3, maxBytes: 512 * 1024 });
    expect(parts.map((p) => p.reviews.length)).toEqual([3, 3, 1]);
    expect(parts.flatMap((p) => p.reviews)).toEqual(all);
  });

  it('splits by bytes, and the real message of each part stays within the limit', () => {
    const all = reviews(20, (i) => 'é'.repeat(100 + i)); // 2 bytes per char in UTF-8
    const maxBytes = 1200;
    const product = { title: 'A product', bulletPoints: ['one', 'two'] };
    const parts = planParts('B00TEST001', product, all, { maxReviews: 1000, maxBytes });
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.flatMap((p) => p.reviews)).toEqual(all);
    for (const [i, p] of parts.entries()) {
      const message = JSON.stringify({ uploadId: crypto.randomUUID(), asin: 'B00TEST001', product, reviews: p.reviews, part: i + 1, parts: parts.length });
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(p.bytes);
      expect(p.bytes).toBeLessThanOrEqual(maxBytes);
    }
  });

  it('sends a review larger than the byte limit alone', () => {
    const all = [review(0), review(1, 'x'.repeat(5000)), review(2)];
    const parts = planParts('B00TEST001', undefined, all, { maxReviews: 100, maxBytes: 1000 });
    expect(ids(parts)).toEqual([['R0'], ['R1'], ['R2']]);
  });

  it('derives msgIds from content only: same content, same ids; any change, new id', () => {
    const limits = { maxReviews: 2, maxBytes: 512 * 1024 };
    const a = planParts('B00TEST001', undefined, reviews(4), limits).map((p) => p.msgId);
    const b = planParts('B00TEST001', undefined, reviews(4), limits).map((p) => p.msgId);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2);
    const edited = reviews(4);
    edited[3] = { ...edited[3]!, rating: 1 };
    const c = planParts('B00TEST001', undefined, edited, limits).map((p) => p.msgId);
    expect(c[0]).toBe(a[0]);
    expect(c[1]).not.toBe(a[1]);
    expect(partMsgId('B00TEST002', undefined, reviews(2))).not.toBe(a[0]);
    // The planner hashes the JSON it measured: the same id as hashing the part's content.
    const product = { title: 'T "quoted"', bulletPoints: ['ü', '\u2028'] };
    const [one] = planParts('B00TEST001', product, reviews(2), limits);
    expect(one!.msgId).toBe(partMsgId('B00TEST001', product, reviews(2)));
    expect(partMsgId('B00TEST001', { title: 't' }, reviews(2))).not.toBe(a[0]);
  });
});

describe('toReviewInput / toIngestProduct', () => {
  it('drops nulls and empty optionals so equal content serialises equally', () => {
    const full = toReviewInput({ reviewId: 'R1', rating: 5, body: 'b', title: null, author: '', date: '2024-01-02', helpfulVotes: 0, verified: false });
    expect(full).toEqual({ reviewId: 'R1', rating: 5, body: 'b', date: '2024-01-02', helpfulVotes: 0, verified: false });
    expect(JSON.stringify(toReviewInput({ body: 'b', rating: 5, reviewId: 'R1' }))).toBe(JSON.stringify({ reviewId: 'R1', rating: 5, body: 'b' }));
  });

  it('treats an empty product as none', () => {
    expect(toIngestProduct(undefined)).toBeUndefined();
    expect(toIngestProduct({ title: undefined, bulletPoints: [] })).toBeUndefined();
    expect(toIngestProduct({ title: 'T', bulletPoints: ['a'] })).toEqual({ title: 'T', bulletPoints: ['a'] });
  });
});
