import type { DataReview } from '@voc/e2e';
import { ReviewPool, scenarioAsin, storable, Workload } from '../src/workload';

const data = new Map<string, DataReview[]>([
  ['A', [{ asin: 'A', reviewId: 'a1', rating: 5, body: ' one ' }, { asin: 'A', reviewId: 'a2', rating: 4, body: '   ' }, { asin: 'A', reviewId: 'a3', rating: 1, body: 'three' }]],
  ['B', [{ asin: 'B', reviewId: 'b1', rating: 2, body: 'two' }]],
]);

describe('the workload of a scenario', () => {
  it('names products with valid, distinct ASINs per scenario and index', () => {
    expect(scenarioAsin(3, 1)).toBe('F03P1FAULT');
    expect(scenarioAsin(15, 12)).toBe('F15PCFAULT');
    expect(() => scenarioAsin(100, 1)).toThrow(/make an ASIN/);
    expect(() => scenarioAsin(1, 36)).toThrow(/make an ASIN/);
  });

  it('interleaves the data\'s products, skips blank bodies, trims, and cycles without repeating a reviewId in one take', () => {
    const pool = new ReviewPool(data);
    expect(pool.take(3).map((r) => [r.reviewId, r.body])).toEqual([
      ['a1', 'one'],
      ['b1', 'two'],
      ['a3', 'three'],
    ]);
    expect(pool.take(5).map((r) => r.reviewId)).toEqual(['a1', 'b1', 'a3']);
  });

  it('records what was accepted: keys, poison, messages without the poison, and which bullet lists are storable', () => {
    const w = new Workload(2, new ReviewPool(data));
    const p = w.addProduct(2, { bullets: true });
    expect(p.asin).toBe('F02P1FAULT');
    expect(p.reviews.every((r) => r.asin === p.asin)).toBe(true);
    w.acceptMessage(p.asin, p.reviews, p.product, new Set(['b1']));
    w.acceptMessage('F02P2FAULT', [], { bulletPoints: ['ok', 'bad\u0000'] });
    expect([...w.accepted]).toEqual(['F02P1FAULT/a1', 'F02P1FAULT/b1']);
    expect([...w.poison]).toEqual(['F02P1FAULT/b1']);
    expect(w.messages[0]!.reviews.map((r) => r.reviewId)).toEqual(['a1']);
    expect([...w.bullets]).toEqual(['F02P1FAULT']);
    expect([...w.poisonBullets]).toEqual(['F02P2FAULT']);
  });

  it('knows what PostgreSQL cannot store: NUL and lone surrogates, not a whole emoji', () => {
    expect(storable('plain 😀 text')).toBe(true);
    expect(storable('nul \u0000')).toBe(false);
    expect(storable('lone \ud83d high')).toBe(false);
    expect(storable('lone \ude00 low')).toBe(false);
  });
});
