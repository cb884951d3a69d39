/**
 * A cheap token estimate for the services (the real Qwen tokenizer costs
 * ~200 MB and ~1 s to load; this is a loop over code points and a handful of
 * counters). A linear model over per-script counts, fitted by least squares
 * (relative error) on the real reviews, the project's prompts and llm-sim's
 * answers against the Qwen3 tokenizer, then scaled up by ESTIMATE_BIAS so that
 * it rarely under-estimates (the limiter reserves the estimate; an
 * under-estimate is charged at settlement, an over-estimate given back).
 * Its measured error is stated in test/estimate.spec.ts and the README.
 *
 * Coefficients (tokens per unit): a Han character ~0.78 (common pairs merge);
 * CJK and full-width punctuation ~1.38 (often two bytes-tokens); an ASCII word
 * ~1.55 plus ~0.024 per letter, with ~−0.56 per whitespace (a word's leading
 * space merges into it); a digit ~1.73 (Qwen splits numbers into digits, and
 * a space before one is its own token); ASCII punctuation ~0.12 (merges with
 * neighbours, e.g. `","`); other characters (accented letters, curly quotes,
 * emoji) 0.6, above the fit's 0.18 because emoji take 1–3 tokens.
 */
const COEF = {
  han: 0.7832,
  cjkPunct: 1.3819,
  other: 0.6,
  word: 1.5465,
  letter: 0.0243,
  digit: 1.7284,
  punct: 0.1196,
  space: -0.5647,
} as const;

/** How much the fitted estimate is scaled up (see test/estimate.spec.ts for what it buys). */
export const ESTIMATE_BIAS = 1.08;

/** Tokens ChatML adds around one message (<|im_start|>, role, newline, <|im_end|>, newline). */
export const MESSAGE_OVERHEAD_TOKENS = 5;
/** <|im_start|>assistant\n, which opens the answer. */
export const REPLY_PRIMER_TOKENS = 3;

/** The estimated Qwen tokens of a text. */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  let sum = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      sum += inWord ? COEF.letter : COEF.word + COEF.letter;
      inWord = true;
      continue;
    }
    inWord = false;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair: one code point (emoji, rare Han).
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
    }
    if (c >= 48 && c <= 57) sum += COEF.digit;
    else if (c === 32 || c === 10 || c === 9 || c === 13) sum += COEF.space;
    else if (c < 128) sum += COEF.punct;
    else if ((c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || c >= 0x20000) sum += COEF.han;
    else if ((c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef)) sum += COEF.cjkPunct;
    else sum += COEF.other;
  }
  return Math.max(1, Math.ceil(sum * ESTIMATE_BIAS));
}

/** The estimated prompt tokens of a chat request, ChatML framing included. */
export function estimatePromptTokens(messages: readonly { content: string }[]): number {
  return messages.reduce((n, m) => n + estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMER_TOKENS);
}
