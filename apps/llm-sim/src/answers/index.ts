import {
  detectPromptKind,
  lastUserText,
  readInsightRequest,
  readLearningRequest,
  readThemeRequest,
  readTranslateBatchRequest,
  readTranslateSingleRequest,
  type PromptKind,
  type WireMessage,
} from '@voc/prompts';
import { pseudoChinese } from '../text';
import { answerInsight, answerTheme } from './analysis';
import { answerLearning } from './learning';
import { answerTranslateBatch, answerTranslateSingle } from './translate';
import type { SimAnswer } from './types';

export type { SimAnswer } from './types';

/**
 * The well-formed answer to a request of `kind`: a pure function of the
 * messages and the seed. Throws when a recognised prompt carries an
 * unreadable input (a bug in the caller, answered with 400).
 */
export function generateAnswer(kind: PromptKind, messages: readonly WireMessage[], seed: string): SimAnswer {
  switch (kind) {
    case 'translate_single':
      return answerTranslateSingle(readTranslateSingleRequest(messages), seed);
    case 'translate_batch':
      return answerTranslateBatch(readTranslateBatchRequest(messages), seed);
    case 'insight':
      return answerInsight(readInsightRequest(messages), seed);
    case 'theme':
      return answerTheme(readThemeRequest(messages), seed);
    case 'learning':
      return answerLearning(readLearningRequest(messages), seed);
    case 'other':
      return { kind, content: `这是 llm-sim 的模拟回答：${pseudoChinese(lastUserText(messages), seed)}` };
  }
}

/** The well-formed answer llm-sim gives to `messages` (for tests: e.g. that max_tokens never cuts one). */
export function simulatedAnswer(messages: readonly WireMessage[], seed = 'llm-sim'): string {
  return generateAnswer(detectPromptKind(messages), messages, seed).content;
}
