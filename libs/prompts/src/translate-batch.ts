import { z } from 'zod';
import { AnswerProblems } from './answer';
import { extractFirstJsonObject } from './json';
import { PROMPT_MARKERS, lastUserText, type ChatMessage, type WireMessage } from './kinds';

/**
 * (b) Batch translation (seed 001): a JSON object {"r1": …, "r2": …} in, the
 * same keys with Chinese values out. Also used for product bullet points.
 */
export const TRANSLATE_BATCH_SYSTEM_PROMPT = `你是一位翻译专家。${PROMPT_MARKERS.translate_batch}（有时是商品卖点文案），把每一条翻译成简体中文。

输入格式：{"r1": "original 1", "r2": "original 2", ...}
输出要求：
- 返回 JSON 字典，键与输入完全一致：不多不少，不改名，不合并，不拆分
- 值为该键对应原文的中文译文（字符串），每条独立翻译，不要串条
- 使用电商翻译风格：拒绝翻译腔，术语精准（如 "DOA" -> "到手即坏"），情感与原文一致
- **只返回 JSON，不要添加任何解释**`;

/** The positional key of the i-th (0-based) text of a batch: r1, r2, … */
export function batchKey(index: number): string {
  return `r${index + 1}`;
}

export function buildTranslateBatchMessages(texts: readonly string[]): ChatMessage[] {
  const input: Record<string, string> = {};
  texts.forEach((t, i) => (input[batchKey(i)] = t));
  return [
    { role: 'system', content: TRANSLATE_BATCH_SYSTEM_PROMPT },
    { role: 'user', content: JSON.stringify(input) },
  ];
}

/** The inverse of buildTranslateBatchMessages (the simulator reads requests with it). */
export function readTranslateBatchRequest(messages: readonly WireMessage[]): Record<string, string> {
  const extracted = extractFirstJsonObject(lastUserText(messages));
  if (!extracted.ok) throw new Error(`translate_batch request: ${extracted.reason}`);
  const parsed = z.record(z.string(), z.string()).safeParse(extracted.value);
  if (!parsed.success) throw new Error('translate_batch request: every value must be a string');
  return parsed.data;
}

/**
 * The translations of a batch answer, keyed like the input. Strict: the key
 * set must equal the input's, and every value must be a non-empty string
 * (empty only for an empty original), otherwise nothing is accepted, because
 * a partial or shifted answer cannot be trusted key by key.
 */
export function parseTranslateBatchAnswer(answer: string, input: Readonly<Record<string, string>>): Record<string, string> {
  const problems: AnswerProblems = new AnswerProblems('translate_batch', answer);
  const extracted = extractFirstJsonObject(answer);
  if (!extracted.ok) problems.fail(extracted.reason);
  const value = extracted.value;
  const out: Record<string, string> = {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(value, key)) {
      problems.add(`missing key ${key}`);
      continue;
    }
    const v = value[key];
    if (typeof v !== 'string') problems.add(`${key}: expected a string, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`);
    else if (!v.trim() && input[key]?.trim()) problems.add(`${key}: empty translation`);
    else out[key] = v.trim();
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(input, key)) problems.add(`unexpected key ${key}`);
  }
  problems.throwIfAny();
  return out;
}
