import { CATEGORY_ORDER, type ReviewCategory } from './category';
import { categoryFor, type ClassifiableReview } from './classify';
import { resolveClassifierConfig, type ClassifierOverrides } from './config';
import { codePointLength } from './length';

/** The reviews of one LLM call. */
export interface ReviewBatch<T> {
  readonly category: ReviewCategory;
  readonly reviews: T[];
}

interface Measured<T> {
  readonly review: T;
  readonly length: number;
}

/**
 * Splits reviews into LLM calls: grouped by category in processing order
 * short → standard → vip, each batch at most its category's batch size and,
 * when `maxBatchChars` is set, at most that many code points of bodies (a
 * longer review goes alone). Input order is kept within a category; every
 * review lands in exactly one batch.
 * @throws RangeError when `config` overrides are invalid or incoherent.
 */
export function planBatches<T extends ClassifiableReview>(
  reviews: readonly T[],
  config?: ClassifierOverrides,
): ReviewBatch<T>[] {
  const resolved = resolveClassifierConfig(config);
  const byCategory: Record<ReviewCategory, Measured<T>[]> = { short: [], standard: [], vip: [] };
  for (const review of reviews) {
    const length = codePointLength(review.body);
    byCategory[categoryFor(length, review.rating, resolved)].push({ review, length });
  }

  const batches: ReviewBatch<T>[] = [];
  for (const category of CATEGORY_ORDER) {
    const maxCount = resolved.batchSize[category];
    let current: T[] = [];
    let chars = 0;
    for (const { review, length } of byCategory[category]) {
      if (current.length > 0 && (current.length >= maxCount || chars + length > resolved.maxBatchChars)) {
        batches.push({ category, reviews: current });
        current = [];
        chars = 0;
      }
      current.push(review);
      chars += length;
    }
    if (current.length > 0) batches.push({ category, reviews: current });
  }
  return batches;
}

/** Number of LLM calls {@link planBatches} needs for these reviews. */
export function countBatches(reviews: readonly ClassifiableReview[], config?: ClassifierOverrides): number {
  return planBatches(reviews, config).length;
}
