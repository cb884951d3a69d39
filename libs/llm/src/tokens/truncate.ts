import { estimateTokens } from './estimate';

/**
 * The long-review rule: insight and theme extraction see at most
 * ANALYSIS_MAX_REVIEW_TOKENS (estimated) of a review, cut at the last
 * sentence end within that budget (else the last word), so one review cannot
 * take a large share of the token budget. On the 20,000 real reviews the
 * longest has ~2,400 tokens and only one has more than 1,000; the translation
 * in the prompt is cut the same way. The insights of a cut review say so
 * (truncationNote).
 */
export const ANALYSIS_MAX_REVIEW_TOKENS = 1000;

export interface AnalysedText {
  text: string;
  /** True when `text` is a prefix of the original. */
  truncated: boolean;
  /** Code units of the original in `text`. */
  keptChars: number;
  totalChars: number;
}

const SENTENCE_END = /[.!?。！？…]["'”’)\]]*\s*/g;

export function truncateForAnalysis(text: string, maxTokens = ANALYSIS_MAX_REVIEW_TOKENS): AnalysedText {
  const whole = { text, truncated: false, keptChars: text.length, totalChars: text.length };
  if (estimateTokens(text) <= maxTokens) return whole;
  // The longest prefix within budget, by bisection on the estimate (monotone in length up to rounding).
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateTokens(text.slice(0, mid)) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  let end = lo;
  let lastSentence = 0;
  for (const m of text.slice(0, lo).matchAll(SENTENCE_END)) lastSentence = (m.index ?? 0) + m[0].length;
  if (lastSentence > lo / 2) end = lastSentence;
  else {
    const space = text.lastIndexOf(' ', lo);
    if (space > lo / 2) end = space;
  }
  const kept = text.slice(0, end).trimEnd();
  return { text: kept, truncated: true, keptChars: kept.length, totalChars: text.length };
}

/** What a cut review's insights add to their analysis, so the stored result says so. */
export function truncationNote(a: AnalysedText): string {
  return `（注：评论过长，仅分析了前 ${a.keptChars}/${a.totalChars} 个字符）`;
}
