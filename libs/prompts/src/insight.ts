import { z } from 'zod';
import { AnswerProblems, canonicalName, parseJsonAnswer } from './answer';
import { SENTIMENTS, type Insight, type NamedRef } from './domain';
import { extractFirstJsonObject } from './json';
import { PROMPT_MARKERS, lastUserText, type ChatMessage, type WireMessage } from './kinds';
import { quoteOccursIn } from './quote';
import { reviewFields, type ReviewFields } from './review-fields';

/** How many insights one review yields (seed 001: 3–5); the prompt and the parser both use it. */
export const INSIGHTS_PER_REVIEW = { min: 3, max: 5 } as const;

/** (c) Insight extraction against the product's learned dimensions (seed 001, contract C5). */
export const INSIGHT_SYSTEM_PROMPT = `你是一位资深的亚马逊用户评论分析师，${PROMPT_MARKERS.insight}：根据产品的分析维度，从一条用户评论中提取 ${INSIGHTS_PER_REVIEW.min}–${INSIGHTS_PER_REVIEW.max} 条洞察。

输入是一个 JSON 对象：
{"dimensions": [{"name": "维度名", "description": "维度说明"}], "rating": 星级（可选）, "review": "评论原文", "translation": "评论中文译文（可选）"}

输出要求：
- 只返回一个 JSON 对象，不要添加任何解释：
  {"insights": [{"dimension": "维度名", "sentiment": "positive", "quote": "原文片段", "analysis": "中文分析"}]}
- insights 必须有 ${INSIGHTS_PER_REVIEW.min}–${INSIGHTS_PER_REVIEW.max} 条，每条对应评论中的一个具体观点
- dimension 必须从输入 dimensions 的 name 中原样选择，不要自创维度
- sentiment 只能是 positive、negative、neutral、mixed 之一
- quote 是支撑该洞察的简短片段（不超过 30 个单词），必须从 review 原文中逐字摘录，不要翻译或改写
- analysis 用简体中文写一到两句，说明用户的观点以及它对产品改进或卖点的意义`;

export interface InsightInput extends ReviewFields {
  dimensions: readonly NamedRef[];
}

export function buildInsightMessages(input: InsightInput): ChatMessage[] {
  const payload = {
    dimensions: input.dimensions.map((d) => ({ name: d.name, description: d.description ?? '' })),
    ...reviewFields(input),
  };
  return [
    { role: 'system', content: INSIGHT_SYSTEM_PROMPT },
    { role: 'user', content: JSON.stringify(payload) },
  ];
}

const requestSchema = z.object({
  dimensions: z.array(z.object({ name: z.string(), description: z.string().optional() })).min(1),
  rating: z.number().optional(),
  review: z.string(),
  translation: z.string().optional(),
});

/** The inverse of buildInsightMessages (the simulator reads requests with it). */
export function readInsightRequest(messages: readonly WireMessage[]): InsightInput {
  const extracted = extractFirstJsonObject(lastUserText(messages));
  if (!extracted.ok) throw new Error(`insight request: ${extracted.reason}`);
  const parsed = requestSchema.safeParse(extracted.value);
  if (!parsed.success) throw new Error(`insight request: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

const answerSchema = z.strictObject({
  insights: z.array(
    z.strictObject({
      dimension: z.string().min(1),
      sentiment: z.enum(SENTIMENTS),
      quote: z.string().min(1),
      analysis: z.string().trim().min(1),
    }),
  ),
});

/**
 * The insights of an answer, checked against the prompt's own rules: count
 * within bounds, dimensions from the given list (returned in the list's
 * spelling), quotes found in the review (or its translation).
 */
export function parseInsightAnswer(answer: string, input: InsightInput): Insight[] {
  const bounds = INSIGHTS_PER_REVIEW;
  const { insights } = parseJsonAnswer('insight', answer, answerSchema);
  const problems = new AnswerProblems('insight', answer);
  if (insights.length < bounds.min || insights.length > bounds.max) {
    problems.add(`expected ${bounds.min}–${bounds.max} insights, got ${insights.length}`);
  }
  const names = input.dimensions.map((d) => d.name);
  const out: Insight[] = [];
  insights.forEach((item, i) => {
    const dimension = canonicalName(item.dimension, names);
    if (!dimension) problems.add(`insights.${i}.dimension: "${item.dimension}" is not one of the given dimensions`);
    if (!quoteOccursIn(item.quote, input.review, input.translation)) {
      problems.add(`insights.${i}.quote: "${item.quote}" is not in the review`);
    }
    if (dimension) out.push({ dimension, sentiment: item.sentiment, quote: item.quote.trim(), analysis: item.analysis.trim() });
  });
  problems.throwIfAny();
  return out;
}
