/**
 * @voc/llm: the LLM client (every call through the fleet's limiter, with its
 * tokens reserved and settled, retries, metrics) and the tasks the pipeline
 * runs with it. The prompts themselves, their parsers and the analysis domain
 * types are @voc/prompts.
 */
export { llmConfigFromEnv, type LlmConfig } from './config';
export type { LlmGrant, LlmLimiter, Priority, ThrottleCause } from './limiter';
export { CallSlots, DEFAULT_CALL_SLOTS, SLOT_ORDERS, nextLimit, nextProduct, queueTarget, type CallSlotsOptions, type CallSlotsState, type ProductHead, type SizingSample, type SlotOrder } from './concurrency';
export { createLlmClient, type LlmClient, type LlmClientOptions, type LlmLogger, type LlmUsage } from './client';
export { LlmRequestError, type FailureReason } from './errors';
export { SendLateError, SendThread, type SendWindow } from './send';
export { costOf, parsePrices, type ModelPrice, type PriceTable } from './pricing';
export { estimatePromptTokens, estimateTokens } from './tokens/estimate';
export { FIXED_MAX_TOKENS, translateBatchMaxTokens, translateSingleMaxTokens } from './tokens/max-tokens';
export { ANALYSIS_MAX_REVIEW_TOKENS, truncateForAnalysis } from './tokens/truncate';
export { translateBatchWithFallback, translateBulletPoints, type BatchTranslationResult, type TranslationItem } from './tasks/translate';
export { extractInsights, extractThemes, learnProduct } from './tasks/analysis';
