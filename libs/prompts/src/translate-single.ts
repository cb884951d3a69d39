import { AnswerProblems } from './answer';
import { PROMPT_MARKERS, lastUserText, type ChatMessage, type WireMessage } from './kinds';

/**
 * (a) Few-shot single translation, for VIP reviews (seed 001): the seed's
 * rules and example, plus what a real model needs to answer with nothing but
 * the translation.
 */
export const TRANSLATE_SINGLE_SYSTEM_PROMPT = `你是一位精通中美文化差异的${PROMPT_MARKERS.translate_single}，负责把亚马逊商品评论翻译成简体中文。

### 核心规则
1. **拒绝翻译腔**: 不要逐字翻译，用中国消费者的日常说法表达原意。
2. **术语精准**: "DOA" -> "到手即坏"，"return window" -> "退货期"，"customer service" -> "客服"；品牌、型号、尺寸和数字保持原样。
3. **情感对齐**: 1星评论要体现愤怒，5星要体现兴奋；保留原文的语气强弱、反讽和感叹。
4. **忠实完整**: 不增不减，不要总结、评价或解释原文。
5. **只输出译文**: 用户消息给出评论星级（可能没有）和原文；星级只用于把握情感，不要翻译它。不要输出"译文："之类的前缀、引号或任何说明。

### 参考范例
Input: Total lemon. Stopped working after 2 days.
Output: 简直是个次品！用了两天就坏了。`;

export interface TranslateSingleInput {
  text: string;
  /** Star rating 1–5, used only to match the tone. */
  rating?: number;
}

const RATING_LINE = /^星级：(\d)\/5\n/;
const TEXT_HEADER = '原文：\n';

export function buildTranslateSingleMessages(input: TranslateSingleInput): ChatMessage[] {
  const rating = input.rating !== undefined ? `星级：${input.rating}/5\n` : '';
  return [
    { role: 'system', content: TRANSLATE_SINGLE_SYSTEM_PROMPT },
    { role: 'user', content: `${rating}${TEXT_HEADER}${input.text}` },
  ];
}

/** The inverse of buildTranslateSingleMessages (the simulator reads requests with it). */
export function readTranslateSingleRequest(messages: readonly WireMessage[]): TranslateSingleInput {
  let user = lastUserText(messages);
  const m = RATING_LINE.exec(user);
  const rating = m ? Number(m[1]) : undefined;
  if (m) user = user.slice(m[0].length);
  if (!user.startsWith(TEXT_HEADER)) throw new Error(`translate_single request: the user message must start with "${TEXT_HEADER.trim()}"`);
  return { text: user.slice(TEXT_HEADER.length), ...(rating !== undefined ? { rating } : {}) };
}

const WRAPPING_QUOTES: [string, string][] = [['"', '"'], ['“', '”'], ['「', '」']];

/**
 * The translation in a single-translation answer. Tolerates only harmless
 * wrappers a model adds around the whole answer (a ``` fence, a "译文："
 * label, enclosing quotes); an empty answer is malformed.
 */
export function parseTranslateSingleAnswer(answer: string): string {
  let text = answer.trim();
  const fence = /^```[a-zA-Z]*\n([\s\S]*?)\n?```$/.exec(text);
  if (fence) text = (fence[1] ?? '').trim();
  text = text.replace(/^(译文|翻译|中文翻译)\s*[:：]\s*/, '');
  for (const [open, close] of WRAPPING_QUOTES) {
    if (text.length >= 2 && text.startsWith(open) && text.endsWith(close) && !text.slice(1, -1).includes(open)) {
      text = text.slice(open.length, -close.length).trim();
    }
  }
  const problems = new AnswerProblems('translate_single', answer);
  if (!text) problems.fail('empty translation');
  if (text.startsWith('```')) problems.fail('unterminated code fence');
  return text;
}
