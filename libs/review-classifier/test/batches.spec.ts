import {
  CATEGORY_ORDER,
  classify,
  codePointLength,
  countBatches,
  DEFAULT_CLASSIFIER_CONFIG,
  planBatches,
  type ClassifierOverrides,
  type ReviewBatch,
} from '../src';
import { prng, randomBody, randomInt } from './support';

interface TestReview {
  id: number;
  body: string;
  rating: number;
}

const make = (bodies: string[], rating = 3): TestReview[] => bodies.map((body, id) => ({ id, body, rating }));
const ids = (batches: ReviewBatch<TestReview>[]) => batches.map((b) => b.reviews.map((r) => r.id));

describe("seed 001's 100-review example", () => {
  // 10 vip (> 200 chars), 30 standard (51–200), 60 short (≤ 50), interleaved.
  const rand = prng(1);
  const reviews: TestReview[] = [];
  const lengths = [
    ...Array.from({ length: 10 }, () => randomInt(rand, 201, 600)),
    ...Array.from({ length: 30 }, () => randomInt(rand, 51, 100)),
    ...Array.from({ length: 60 }, () => randomInt(rand, 1, 50)),
  ];
  for (let i = lengths.length - 1; i > 0; i--) {
    const j = randomInt(rand, 0, i);
    [lengths[i], lengths[j]] = [lengths[j]!, lengths[i]!];
  }
  lengths.forEach((n, id) => reviews.push({ id, body: randomBody(rand, n), rating: randomInt(rand, 1, 5) }));

  it('needs 19 LLM calls (3 short + 6 standard + 10 vip)', () => {
    expect(countBatches(reviews)).toBe(19);
    const batches = planBatches(reviews);
    const perCategory = (c: string) => batches.filter((b) => b.category === c).map((b) => b.reviews.length);
    expect(perCategory('short')).toEqual([20, 20, 20]);
    expect(perCategory('standard')).toEqual([5, 5, 5, 5, 5, 5]);
    expect(perCategory('vip')).toEqual(Array(10).fill(1));
  });
});

describe('planBatches', () => {
  it('returns no batches for no reviews', () => {
    expect(planBatches([])).toEqual([]);
    expect(countBatches([])).toBe(0);
  });

  it('processes short, then standard, then vip, keeping input order within a category', () => {
    const reviews = make(['v'.repeat(300), 'short 1', 's'.repeat(80), 'short 2', 'v'.repeat(250), 's'.repeat(60)]);
    const batches = planBatches(reviews);
    expect(batches.map((b) => b.category)).toEqual(['short', 'standard', 'vip', 'vip']);
    expect(ids(batches)).toEqual([[1, 3], [2, 5], [0], [4]]);
    // The caller's objects come back, not copies.
    expect(batches[0]!.reviews[0]).toBe(reviews[1]);
  });

  it('honours configured batch sizes', () => {
    const reviews = make(Array.from({ length: 61 }, () => 'ok'));
    expect(planBatches(reviews, { batchSize: { short: 30 } }).map((b) => b.reviews.length)).toEqual([30, 30, 1]);
  });

  describe('character budget (maxBatchChars)', () => {
    const chinese = make(Array.from({ length: 20 }, () => '好'.repeat(50)));

    it('is disabled by default, keeping the seed behaviour', () => {
      expect(DEFAULT_CLASSIFIER_CONFIG.maxBatchChars).toBe(Infinity);
      expect(planBatches(chinese).map((b) => b.reviews.length)).toEqual([20]);
      expect(planBatches(chinese, { maxBatchChars: Infinity }).map((b) => b.reviews.length)).toEqual([20]);
    });

    it('closes a batch before the budget of code points would be exceeded', () => {
      const sizes = planBatches(chinese, { maxBatchChars: 300 }).map((b) => b.reviews.length);
      expect(sizes).toEqual([6, 6, 6, 2]);
      expect(ids(planBatches(chinese, { maxBatchChars: 300 })).flat()).toEqual(chinese.map((r) => r.id));
    });

    it('measures code points, not UTF-16 units', () => {
      const emoji = make(Array.from({ length: 4 }, () => '😀'.repeat(25)));
      expect(planBatches(emoji, { maxBatchChars: 100 }).map((b) => b.reviews.length)).toEqual([4]);
    });

    it('gives a review larger than the budget a batch of its own', () => {
      const reviews = make(['a'.repeat(10), 'b'.repeat(50), 'c'.repeat(10), 'd'.repeat(10)]);
      expect(ids(planBatches(reviews, { maxBatchChars: 30 }))).toEqual([[0], [1], [2, 3]]);
    });

    it('still applies the count limit when the budget allows more', () => {
      const reviews = make(Array.from({ length: 12 }, () => 'x'.repeat(60)));
      expect(planBatches(reviews, { maxBatchChars: 10_000 }).map((b) => b.reviews.length)).toEqual([5, 5, 2]);
    });
  });

  it('keeps its invariants over generated inputs and configs', () => {
    const rand = prng(2024);
    for (let round = 0; round < 300; round++) {
      const vipLength = randomInt(rand, 20, 220);
      const config: ClassifierOverrides = {
        vipLength,
        vipExtremeRatingLength: randomInt(rand, 0, vipLength),
        shortMaxLength: randomInt(rand, 0, vipLength - 1),
        extremeRatings: [1, 2, 3, 4, 5].filter(() => rand() < 0.4),
        batchSize: { short: randomInt(rand, 1, 25), standard: randomInt(rand, 1, 8), vip: randomInt(rand, 1, 3) },
        maxBatchChars: rand() < 0.5 ? Infinity : randomInt(rand, 1, 600),
      };
      const reviews: TestReview[] = Array.from({ length: randomInt(rand, 0, 120) }, (_, id) => ({
        id,
        body: randomBody(rand, randomInt(rand, 0, 260)),
        rating: randomInt(rand, 1, 5),
      }));

      const batches = planBatches(reviews, config);
      const context = `round ${round}, config ${JSON.stringify(config)}`;

      // Every review exactly once.
      const seen = batches.flatMap((b) => b.reviews.map((r) => r.id)).sort((a, b) => a - b);
      expect({ context, seen }).toEqual({ context, seen: reviews.map((r) => r.id) });
      expect(countBatches(reviews, config)).toBe(batches.length);

      let lastCategoryIndex = -1;
      let lastId = -1;
      batches.forEach((batch, i) => {
        const categoryIndex = CATEGORY_ORDER.indexOf(batch.category);
        // Processing order short → standard → vip; input order within a category.
        expect({ context, ordered: categoryIndex >= lastCategoryIndex }).toEqual({ context, ordered: true });
        if (categoryIndex !== lastCategoryIndex) lastId = -1;
        lastCategoryIndex = categoryIndex;
        for (const r of batch.reviews) {
          expect({ context, id: r.id, category: classify(r, config) }).toEqual({ context, id: r.id, category: batch.category });
          expect(r.id).toBeGreaterThan(lastId);
          lastId = r.id;
        }

        // Bounded by count and, for more than one review, by the budget.
        const chars = batch.reviews.reduce((sum, r) => sum + codePointLength(r.body), 0);
        expect(batch.reviews.length).toBeGreaterThanOrEqual(1);
        expect(batch.reviews.length).toBeLessThanOrEqual(config.batchSize![batch.category]!);
        if (batch.reviews.length > 1) expect(chars).toBeLessThanOrEqual(config.maxBatchChars!);

        // Greedy: a batch is only closed early when the next review would not fit.
        const next = batches[i + 1];
        if (next && next.category === batch.category && batch.reviews.length < config.batchSize![batch.category]!) {
          expect(chars + codePointLength(next.reviews[0]!.body)).toBeGreaterThan(config.maxBatchChars!);
        }
      });

      // Without a budget the count is the seed's ceil(n / size) per category.
      if (config.maxBatchChars === Infinity) {
        const expected = CATEGORY_ORDER.reduce((sum, c) => {
          const n = reviews.filter((r) => classify(r, config) === c).length;
          return sum + Math.ceil(n / config.batchSize![c]!);
        }, 0);
        expect(batches.length).toBe(expected);
      }
    }
  });
});
