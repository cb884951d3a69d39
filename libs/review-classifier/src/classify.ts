import type { ReviewCategory } from './category';
import { resolveClassifierConfig, type ClassifierConfig, type ClassifierOverrides } from './config';
import { codePointLength } from './length';

/** What the classifier needs of a review. */
export interface ClassifiableReview {
  readonly body: string;
  readonly rating: number;
}

/**
 * Seed 001's rules on a body already measured in code points. Rule order
 * matters: vip wins over short when a short threshold is configured above the
 * extreme-rating length.
 */
export function categoryFor(length: number, rating: number, config: ClassifierConfig): ReviewCategory {
  if (length > config.vipLength) return 'vip';
  if (length > config.vipExtremeRatingLength && config.extremeRatings.includes(rating)) return 'vip';
  if (length <= config.shortMaxLength) return 'short';
  return 'standard';
}

/**
 * Classifies one review for translation batching.
 * @throws RangeError when `config` overrides are invalid or incoherent.
 */
export function classify(review: ClassifiableReview, config?: ClassifierOverrides): ReviewCategory {
  return categoryFor(codePointLength(review.body), review.rating, resolveClassifierConfig(config));
}
