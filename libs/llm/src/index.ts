// Domain
export * from './domain';
// Prompt kinds (shared with the simulator)
export { PROMPT_KINDS, PROMPT_MARKERS, detectPromptKind, lastUserText, messageText, type ChatMessage, type ChatRole, type PromptKind, type WireMessage } from './kinds';
// Client
export { llmConfigFromEnv, isLoopbackUrl, SIM_API_KEY, type LlmConfig } from './config';
export type { LlmLimiter, Priority } from './limiter';
export {
  createLlmClient,
  type ChatRequest,
  type ChatResult,
  type LlmClient,
  type LlmClientOptions,
  type LlmLogger,
  type LlmUsage,
  type ParsedChatResult,
  type TokenUsage,
} from './client';
export { DEFAULT_RETRY_POLICY, backoffDelayMs, retryAfterMs, type RetryPolicy } from './retry';
export { createLlmMetrics, type LlmMetrics } from './metrics';
export { LlmError, LlmRequestError, MalformedAnswerError, type FailureReason, type LlmCallContext } from './errors';
// Answer handling
export { extractFirstJsonObject, type JsonExtraction } from './json';
export { normalizeForMatch, quoteOccursIn } from './quote';
// Prompts: builders, request readers (for the simulator) and strict parsers
export * from './prompts/translate-single';
export * from './prompts/translate-batch';
export * from './prompts/insight';
export * from './prompts/theme';
export * from './prompts/learning';
// Task functions
export {
  translateSingle,
  translateBatch,
  translateBatchWithFallback,
  translateBulletPoints,
  type BatchTranslationFailure,
  type BatchTranslationResult,
  type TranslateBulletPointsRequest,
  type TranslateSingleRequest,
  type TranslationItem,
} from './tasks/translate';
export {
  extractInsights,
  extractThemes,
  learnProduct,
  type ExtractInsightsRequest,
  type ExtractThemesRequest,
  type LearnProductRequest,
} from './tasks/analysis';
export type { TaskOptions } from './tasks/common';
