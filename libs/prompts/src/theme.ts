import { z } from 'zod';
import { AnswerProblems, canonicalName, parseJsonAnswer } from './answer';
import { FIVE_W, type FiveW, type NamedRef, type Theme } from './domain';
import { extractFirstJsonObject } from './json';
import { PROMPT_MARKERS, lastUserText, type ChatMessage, type WireMessage } from './kinds';
import { quoteOccursIn } from './quote';
import { reviewFields, type ReviewFields } from './review-fields';

/** (d) 5W theme extraction against the product's learned label set (seed 001, contract C5). */
export const THEME_SYSTEM_PROMPT = `你是一位亚马逊用户评论分析师，${PROMPT_MARKERS.theme}。
5W 的含义：
- who：谁在使用（用户人群）
- when：什么时候使用（时间、时机、场合）
- where：在哪里使用（地点、环境）
- what：用来做什么（用途、使用场景）
- why：为什么购买（购买动机）

输入是一个 JSON 对象：
{"labels": {"who": [{"name": "标签名", "description": "标签说明"}], "when": [...], "where": [...], "what": [...], "why": [...]}, "rating": 星级（可选）, "review": "评论原文", "translation": "评论中文译文（可选）"}

输出要求：
- 只返回一个 JSON 对象，不要添加任何解释：
  {"themes": [{"category": "who", "label": "标签名", "quote": "原文片段"}]}
- 只标注评论中有明确依据的类别，没有依据的类别不要输出；评论完全不涉及 5W 时返回 {"themes": []}
- category 只能是 who、when、where、what、why 之一；每个类别最多 2 个标签
- label 必须从输入中该类别的标签 name 里原样选择，不要自创标签
- quote 是作为依据的简短片段（不超过 30 个单词），必须从 review 原文中逐字摘录，不要翻译或改写`;

export type LabelRefs = Partial<Record<FiveW, readonly NamedRef[]>>;

export interface ThemeInput extends ReviewFields {
  labels: LabelRefs;
}

export const MAX_THEMES_PER_CATEGORY = 2;

export function buildThemeMessages(input: ThemeInput): ChatMessage[] {
  const labels: Record<string, { name: string; description: string }[]> = {};
  for (const c of FIVE_W) {
    const list = input.labels[c];
    if (list?.length) labels[c] = list.map((l) => ({ name: l.name, description: l.description ?? '' }));
  }
  const payload = {
    labels,
    ...reviewFields(input),
  };
  return [
    { role: 'system', content: THEME_SYSTEM_PROMPT },
    { role: 'user', content: JSON.stringify(payload) },
  ];
}

const refList = z.array(z.object({ name: z.string(), description: z.string().optional() }));
const requestSchema = z.object({
  labels: z.object({ who: refList.optional(), when: refList.optional(), where: refList.optional(), what: refList.optional(), why: refList.optional() }),
  rating: z.number().optional(),
  review: z.string(),
  translation: z.string().optional(),
});

/** The inverse of buildThemeMessages (the simulator reads requests with it). */
export function readThemeRequest(messages: readonly WireMessage[]): ThemeInput {
  const extracted = extractFirstJsonObject(lastUserText(messages));
  if (!extracted.ok) throw new Error(`theme request: ${extracted.reason}`);
  const parsed = requestSchema.safeParse(extracted.value);
  if (!parsed.success) throw new Error(`theme request: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

const answerSchema = z.strictObject({
  themes: z.array(
    z.strictObject({
      category: z.enum(FIVE_W),
      label: z.string().min(1),
      quote: z.string().min(1),
    }),
  ),
});

/**
 * The themes of an answer: each label from its category's list (returned in
 * the list's spelling), its quote found in the review, at most
 * MAX_THEMES_PER_CATEGORY per category. An exact repeat of a (category,
 * label) pair is dropped: it adds nothing and rejecting it would waste a call.
 */
export function parseThemeAnswer(answer: string, input: ThemeInput): Theme[] {
  const { themes } = parseJsonAnswer('theme', answer, answerSchema);
  const problems = new AnswerProblems('theme', answer);
  const out: Theme[] = [];
  const seen = new Set<string>();
  themes.forEach((item, i) => {
    const names = (input.labels[item.category] ?? []).map((l) => l.name);
    const label = canonicalName(item.label, names);
    if (!label) problems.add(`themes.${i}.label: "${item.label}" is not a given ${item.category} label`);
    if (!quoteOccursIn(item.quote, input.review, input.translation)) {
      problems.add(`themes.${i}.quote: "${item.quote}" is not in the review`);
    }
    if (!label) return;
    const key = `${item.category}\u0000${label}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ category: item.category, label, quote: item.quote.trim() });
  });
  for (const c of FIVE_W) {
    const n = out.filter((t) => t.category === c).length;
    if (n > MAX_THEMES_PER_CATEGORY) problems.add(`${n} ${c} labels, at most ${MAX_THEMES_PER_CATEGORY} allowed`);
  }
  problems.throwIfAny();
  return out;
}
