/**
 * The JSON columns of the schema, parsed in one place. Prisma types a Json
 * column as any JSON value; these readers check the stored value against its
 * schema and fail with a StoredJsonError that names the row and the problem,
 * instead of a cast that lets a corrupt value travel on.
 */
import { z } from 'zod';

/** A stored JSON value does not have the shape its column holds. */
export class StoredJsonError extends Error {
  constructor(
    readonly column: string,
    readonly key: string,
    readonly problems: string[],
  ) {
    super(`${column} of ${key} is not valid: ${problems.join('; ')}`);
    this.name = 'StoredJsonError';
  }
}

function parseColumn<S extends z.ZodType>(schema: S, value: unknown, column: string, key: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new StoredJsonError(
    column,
    key,
    r.error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`),
  );
}

const texts = z.array(z.string());

/** products.bullet_points: the listing's bullet points as uploaded. */
export function bulletPointsOf(product: { asin: string; bulletPoints: unknown }): string[] {
  return parseColumn(texts, product.bulletPoints, 'products.bullet_points', product.asin);
}

/** products.bullet_points_zh: their translation, same order; null until translated. */
export function bulletPointsZhOf(product: { asin: string; bulletPointsZh: unknown }): string[] | null {
  return parseColumn(texts.nullable(), product.bulletPointsZh ?? null, 'products.bullet_points_zh', product.asin);
}

const count = z.number().int().min(0);

const dimensionSummary = z.object({
  name: z.string(),
  description: z.string(),
  total: count,
  positive: count,
  negative: count,
  neutral: count,
  mixed: count,
  /** Representative quotes (most helpful reviews first). */
  quotes: z.object({ positive: z.array(z.string()), negative: z.array(z.string()) }),
});

const labelShare = z.object({
  label: z.string(),
  count,
  /** count ÷ reviews with a theme of that category. */
  share: z.number().min(0).max(1),
});
const shares = z.array(labelShare);

const usageCounts = z.object({
  calls: count,
  promptTokens: count,
  completionTokens: count,
  /** Part of promptTokens served from the provider's context cache. */
  cachedTokens: count,
  /** Counted against the token limit: prompt + the max_tokens sent. */
  limitTokens: count,
  /** From LLM_PRICES, CNY by the project convention. */
  cost: z.number().min(0),
  failures: count,
});

/** A product's LLM usage (llm_usage): totals and per stage (prompt kind). */
export const llmUsageSummarySchema = usageCounts.extend({ byStage: z.record(z.string(), usageCounts) });
export type LlmUsageSummary = z.infer<typeof llmUsageSummarySchema>;

/** What report-svc stores in reports.content and the gateway serves (JSON or HTML). */
export const reportContentSchema = z.object({
  asin: z.string(),
  title: z.string().nullable(),
  generatedAt: z.string(),
  learning: z.object({ version: count, learnedAt: z.string().nullable(), learnedFromReviews: count }).nullable(),
  reviews: z.object({
    total: count,
    averageRating: z.number().nullable(),
    byRating: z.object({ '1': count, '2': count, '3': count, '4': count, '5': count }),
    byCategory: z.object({ vip: count, standard: count, short: count }),
  }),
  coverage: z.object({
    translated: count,
    withInsights: count,
    withThemes: count,
    failed: count,
    /** translated ÷ total, 0 when there are no reviews. */
    translationRatio: z.number().min(0).max(1),
  }),
  dimensions: z.array(dimensionSummary),
  personas: z.object({ who: shares, when: shares, where: shares, what: shares, why: shares }),
  /** The LLM usage behind the report (absent in reports made before usage was tracked per stage). */
  llmUsage: llmUsageSummarySchema.optional(),
});

export type ReportContent = z.infer<typeof reportContentSchema>;
export type DimensionSummary = z.infer<typeof dimensionSummary>;
export type LabelShare = z.infer<typeof labelShare>;

/** reports.content: null until the report is ready. */
export function reportContentOf(report: { id: string; content: unknown }): ReportContent | null {
  return parseColumn(reportContentSchema.nullable(), report.content ?? null, 'reports.content', report.id);
}
