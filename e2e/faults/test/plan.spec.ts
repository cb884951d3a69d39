import { countBatches } from '@voc/review-classifier';
import { plannedCalls } from '../src/plan';

const review = (id: string, body: string, rating = 3) => ({ reviewId: id, body, rating });
const short = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => review(`${prefix}${i}`, `fine ${i}`));

describe('plannedCalls', () => {
  it('plans each message on its own, as ingest-svc does, plus bullets, learning and one insight and theme call per review', () => {
    const a = short(25, 'a');
    const b = [review('v1', 'x'.repeat(250)), ...short(3, 'b')];
    const p = plannedCalls([{ asin: 'A', reviews: a }, { asin: 'B', reviews: b }], new Set(['A']));
    expect(p.translate).toBe(countBatches(a) + countBatches(b));
    expect(p.translate).toBe(2 + 2); // 20 + 5 short; one VIP alone and 3 short
    expect(p).toMatchObject({ bullets: 1, learning: 2, insight: 29, theme: 29 });
    expect(p.total).toBe(4 + 1 + 2 + 2 * 29);
  });

  it('plans nothing again for a review re-sent in a later message, nor for a blank body or a product never stored', () => {
    const a = short(5);
    const p = plannedCalls(
      [
        { asin: 'A', reviews: a },
        { asin: 'A', reviews: a },
        { asin: 'C', reviews: [review('blank', '   ')] },
      ],
      new Set(['C']),
    );
    expect(p).toEqual({ translate: 1, bullets: 0, learning: 1, insight: 5, theme: 5, total: 1 + 1 + 10 });
  });
});
