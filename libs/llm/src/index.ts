/**
 * @voc/llm: the LLM client (every call through the fleet's limiter, with
 * retries and metrics) and the tasks the pipeline runs with it. The prompts
 * themselves, their parsers and the analysis domain types are @voc/prompts.
 */
export { llmConfigFromEnv, type LlmConfig } from './config';
export type { LlmLimiter, Priority } from './limiter';
export { createLlmClient, type LlmClient, type LlmClientOptions, type LlmLogger, type LlmUsage } from './client';
export { LlmRequestError, type FailureReason } from './errors';
export { translateBatchWithFallback, translateBulletPoints, type BatchTranslationResult, type TranslationItem } from './tasks/translate';
export { extractInsights, extractThemes, learnProduct } from './tasks/analysis';
