/**
 * Token estimate from text length, close enough for usage accounting: about
 * one token per CJK character and one per four other characters, plus the
 * per-message overhead of the chat format.
 */
const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/g;

export function estimateTokens(text: string): number {
  const cjk = text.match(CJK)?.length ?? 0;
  return cjk + Math.ceil((text.length - cjk) / 4);
}

export function estimatePromptTokens(messageTexts: readonly string[]): number {
  return messageTexts.reduce((sum, t) => sum + estimateTokens(t) + 4, 3);
}
