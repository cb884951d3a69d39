export { CATEGORY_ORDER, type ReviewCategory } from './category';
export {
  DEFAULT_CLASSIFIER_CONFIG,
  configProblems,
  resolveClassifierConfig,
  type ClassifierConfig,
  type ClassifierOverrides,
  type ConfigProblem,
} from './config';
export { classifierConfigFromEnv } from './env';
export { codePointLength } from './length';
export { categoryFor, classify, type ClassifiableReview } from './classify';
export { planBatches, countBatches, type ReviewBatch } from './batches';
