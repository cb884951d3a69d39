import type { PromptKind } from '@voc/prompts';
import { estimateTokens } from './estimate';

/**
 * The `max_tokens` every call sends, per prompt kind: the most its answer may
 * take, which the provider also counts against the token limit whether used
 * or not (the counting rule). Fixed where the answer's size does not depend
 * on the input, derived from the input where it does (a translation is about
 * as long as its original). Chosen so that no answer of llm-sim on the 20,000
 * real reviews is cut (test/max-tokens.spec.ts), with room for a real model's
 * longer prose. The table is in the README.
 */
export const FIXED_MAX_TOKENS = {
  /** 3–5 insights, each a quote of ≤ 30 words and one or two sentences of analysis (llm-sim's longest: ~330). */
  insight: 768,
  /** 0–2 themes per 5W category, each a label and a quote (llm-sim's longest: ~100). */
  theme: 512,
  /** 5–8 dimensions and 2–6 labels per category, each with a description (llm-sim's longest: ~400). */
  learning: 1536,
  /** Anything else (the client's default). */
  other: 1024,
} as const;

/** A translation's answer per token of original (Chinese from English: well under 1; llm-sim's pseudo-Chinese: up to ~1.6). */
export const TRANSLATION_TOKENS_PER_INPUT_TOKEN = 1.6;
/** Room per translated text for a key, quotes and the like (batch) or the answer's framing (single). */
export const TRANSLATION_TOKENS_PER_TEXT = 16;
export const TRANSLATION_SINGLE_EXTRA_TOKENS = 32;
/** The most one call asks for: the models' output limit. */
export const MAX_COMPLETION_TOKENS = 8192;

const cap = (n: number) => Math.min(MAX_COMPLETION_TOKENS, Math.ceil(n));

/** max_tokens of a single translation of `text`. */
export function translateSingleMaxTokens(text: string): number {
  return cap(TRANSLATION_TOKENS_PER_INPUT_TOKEN * estimateTokens(text) + TRANSLATION_SINGLE_EXTRA_TOKENS);
}

/** max_tokens of a batch translation of `texts` (the JSON object with one key per text). */
export function translateBatchMaxTokens(texts: readonly string[]): number {
  return cap(texts.reduce((n, t) => n + TRANSLATION_TOKENS_PER_INPUT_TOKEN * estimateTokens(t) + TRANSLATION_TOKENS_PER_TEXT, 16));
}

/** The fixed max_tokens of a kind whose answer does not scale with its input (translations: use the functions above). */
export function defaultMaxTokens(kind: PromptKind): number {
  switch (kind) {
    case 'insight':
    case 'theme':
    case 'learning':
    case 'other':
      return FIXED_MAX_TOKENS[kind];
    case 'translate_single':
    case 'translate_batch':
      return MAX_COMPLETION_TOKENS;
  }
}
