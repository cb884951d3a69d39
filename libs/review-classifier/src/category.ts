/** Translation categories of seed 001's ReviewClassifier. */
export type ReviewCategory = 'short' | 'standard' | 'vip';

/** Processing order of the seed's worker: cheap batches first, VIP last. */
export const CATEGORY_ORDER: readonly ReviewCategory[] = Object.freeze(['short', 'standard', 'vip'] as const);
