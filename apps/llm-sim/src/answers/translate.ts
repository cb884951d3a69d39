import type { TranslateSingleInput } from '@voc/prompts';
import { simulatedTranslation } from '../text';
import { jsonAnswer, type SimAnswer } from './types';

export function answerTranslateSingle(input: TranslateSingleInput, seed: string): SimAnswer {
  return { kind: 'translate_single', content: simulatedTranslation(input.text, seed) };
}

/** The same keys as the input, each value the translation of that key's text. */
export function answerTranslateBatch(input: Record<string, string>, seed: string): SimAnswer {
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(input)) out[key] = simulatedTranslation(text, seed);
  return jsonAnswer('translate_batch', out);
}
