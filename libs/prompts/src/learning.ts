import { z } from 'zod';
import { AnswerProblems, parseJsonAnswer } from './answer';
import { FIVE_W, type LearnedModel } from './domain';
import { extractFirstJsonObject } from './json';
import { PROMPT_MARKERS, lastUserText, type ChatMessage, type WireMessage } from './kinds';

/** How many dimensions a product gets, and how many labels per 5W category; the prompt and the parser both use them. */
export const DIMENSIONS_PER_PRODUCT = { min: 5, max: 8 } as const;
export const LABELS_PER_CATEGORY = { min: 2, max: 6 } as const;

/** (e) Learning: discover a product's analysis dimensions and its 5W label set from a sample of reviews. */
export const LEARNING_SYSTEM_PROMPT = `你是一位资深的亚马逊产品与用户研究专家，${PROMPT_MARKERS.learning}：根据产品信息和一组用户评论样本，为该产品确定分析维度和 5W 标签体系，后续会用它们逐条分析这个产品的全部评论。

输入是一个 JSON 对象：
{"product": {"asin": "ASIN", "title": "标题（可选）", "bulletPoints": ["卖点（可选）"]}, "reviews": ["评论1", "评论2", ...]}

输出要求：
- 只返回一个 JSON 对象，不要添加任何解释：
  {"dimensions": [{"name": "维度名", "description": "维度说明"}],
   "labels": {"who": [{"name": "标签名", "description": "标签说明"}], "when": [...], "where": [...], "what": [...], "why": [...]}}
- dimensions 给出 ${DIMENSIONS_PER_PRODUCT.min}–${DIMENSIONS_PER_PRODUCT.max} 个：用户在评论中最关心的产品方面（如质量、功能、易用性、性价比、外观、售后等），彼此不重叠，名称不重复
- labels 是 5W 标签体系：who（用户人群）、when（使用时机/场合）、where（使用地点/环境）、what（用途/使用场景）、why（购买动机）；五个类别都要有，每个类别 ${LABELS_PER_CATEGORY.min}–${LABELS_PER_CATEGORY.max} 个标签，同一类别内名称不重复
- 所有 name 用简体中文短语（2–8 个字），description 用一句简体中文说明判定标准
- 以评论中反复出现的内容为依据；评论较少涉及的类别，给出该品类最常见的标签`;

export interface LearningInput {
  asin: string;
  title?: string;
  bulletPoints?: readonly string[];
  sampleReviews: readonly string[];
}

/** Keeps the prompt well inside the model's context however long the sample is. */
export const LEARNING_SAMPLE_LIMITS = { maxReviewChars: 1500, maxTotalChars: 30_000 } as const;

export function buildLearningMessages(input: LearningInput): ChatMessage[] {
  const reviews: string[] = [];
  let total = 0;
  for (const r of input.sampleReviews) {
    const text = r.trim().slice(0, LEARNING_SAMPLE_LIMITS.maxReviewChars);
    if (!text) continue;
    if (total + text.length > LEARNING_SAMPLE_LIMITS.maxTotalChars && reviews.length > 0) break;
    reviews.push(text);
    total += text.length;
  }
  const payload = {
    product: {
      asin: input.asin,
      ...(input.title ? { title: input.title } : {}),
      ...(input.bulletPoints?.length ? { bulletPoints: input.bulletPoints } : {}),
    },
    reviews,
  };
  return [
    { role: 'system', content: LEARNING_SYSTEM_PROMPT },
    { role: 'user', content: JSON.stringify(payload) },
  ];
}

const requestSchema = z.object({
  product: z.object({ asin: z.string(), title: z.string().optional(), bulletPoints: z.array(z.string()).optional() }),
  reviews: z.array(z.string()),
});

/** The inverse of buildLearningMessages (the simulator reads requests with it). */
export function readLearningRequest(messages: readonly WireMessage[]): LearningInput {
  const extracted = extractFirstJsonObject(lastUserText(messages));
  if (!extracted.ok) throw new Error(`learning request: ${extracted.reason}`);
  const parsed = requestSchema.safeParse(extracted.value);
  if (!parsed.success) throw new Error(`learning request: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const { product, reviews } = parsed.data;
  return { ...product, sampleReviews: reviews };
}

const named = z.strictObject({ name: z.string().trim().min(1), description: z.string().trim().min(1) });
const labelList = z.array(named).min(LABELS_PER_CATEGORY.min).max(LABELS_PER_CATEGORY.max);
const answerSchema = z.strictObject({
  dimensions: z.array(named).min(DIMENSIONS_PER_PRODUCT.min).max(DIMENSIONS_PER_PRODUCT.max),
  labels: z.strictObject({ who: labelList, when: labelList, where: labelList, what: labelList, why: labelList }),
});

function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const n of names) {
    const key = n.normalize('NFKC').toLowerCase();
    if (seen.has(key)) dups.add(n);
    seen.add(key);
  }
  return [...dups];
}

/** The learned model of an answer: counts within bounds, names unique (dimensions overall, labels per category). */
export function parseLearningAnswer(answer: string): LearnedModel {
  const model = parseJsonAnswer('learning', answer, answerSchema);
  const problems = new AnswerProblems('learning', answer);
  for (const d of duplicates(model.dimensions.map((x) => x.name))) problems.add(`duplicate dimension "${d}"`);
  for (const c of FIVE_W) {
    for (const d of duplicates(model.labels[c].map((x) => x.name))) problems.add(`duplicate ${c} label "${d}"`);
  }
  problems.throwIfAny();
  return model;
}
