/**
 * @voc/prompts: the wire protocol between this project and the LLM, with no
 * dependency but zod. For each prompt kind: the messages sent (build…), how
 * the simulator reads them back (read…), and the strict parser of the answer
 * (parse…), so that the client (@voc/llm) and the simulator (@voc/llm-sim)
 * share one definition without depending on each other.
 */
export {
  FIVE_W,
  SENTIMENTS,
  type Dimension,
  type FiveW,
  type Insight,
  type Label,
  type LabelSet,
  type LearnedModel,
  type NamedRef,
  type Sentiment,
  type Theme,
} from './domain';
export { PROMPT_KINDS, detectPromptKind, lastUserText, messageText, type ChatMessage, type PromptKind, type WireMessage } from './kinds';
export { LlmError, MalformedAnswerError, type LlmCallContext } from './errors';
export { buildTranslateSingleMessages, parseTranslateSingleAnswer, readTranslateSingleRequest, type TranslateSingleInput } from './translate-single';
export { batchKey, buildTranslateBatchMessages, parseTranslateBatchAnswer, readTranslateBatchRequest } from './translate-batch';
export { reviewFields, type ReviewFields } from './review-fields';
export { buildInsightMessages, parseInsightAnswer, readInsightRequest, type InsightInput } from './insight';
export { buildThemeMessages, parseThemeAnswer, readThemeRequest, type LabelRefs, type ThemeInput } from './theme';
export { buildLearningMessages, parseLearningAnswer, readLearningRequest, type LearningInput } from './learning';
