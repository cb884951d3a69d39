/**
 * Reads of the LLM usage tally (llm_usage, written by each LLM worker's usage
 * recorder): a product's usage for its status and report, and the
 * aggregate of GET /v1/usage by day, model, stage, product and service.
 */
import type { LlmUsageSummary, PrismaClient } from '@voc/db';

export const USAGE_GROUPS = ['day', 'model', 'stage', 'product', 'service'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

const COLUMN: Record<UsageGroup, 'day' | 'model' | 'stage' | 'asin' | 'service'> = { day: 'day', model: 'model', stage: 'stage', product: 'asin', service: 'service' };

export interface UsageFilter {
  /** UTC days, inclusive. */
  from?: Date;
  to?: Date;
  asin?: string;
  model?: string;
  stage?: string;
  service?: string;
}

type Counts = Omit<LlmUsageSummary, 'byStage'>;

export interface UsageRow extends Counts {
  day?: string;
  model?: string;
  stage?: string;
  product?: string;
  service?: string;
}

const SUMS = { calls: true, promptTokens: true, completionTokens: true, cachedTokens: true, limitTokens: true, cost: true, failures: true } as const;

function countsOf(s: { [K in keyof typeof SUMS]: number | null }): Counts {
  return {
    calls: s.calls ?? 0,
    promptTokens: s.promptTokens ?? 0,
    completionTokens: s.completionTokens ?? 0,
    cachedTokens: s.cachedTokens ?? 0,
    limitTokens: s.limitTokens ?? 0,
    // Rounded to a hundredth of a fen: float sums of many small costs carry noise.
    cost: Math.round((s.cost ?? 0) * 1e4) / 1e4,
    failures: s.failures ?? 0,
  };
}

function where(f: UsageFilter) {
  return {
    ...(f.from || f.to ? { day: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } } : {}),
    ...(f.asin !== undefined ? { asin: f.asin } : {}),
    ...(f.model ? { model: f.model } : {}),
    ...(f.stage ? { stage: f.stage } : {}),
    ...(f.service ? { service: f.service } : {}),
  };
}

/** Usage summed per combination of `groupBy` (none: one row of totals), largest cost first, and the totals. */
export async function usageSummary(db: PrismaClient, groupBy: readonly UsageGroup[], filter: UsageFilter = {}): Promise<{ rows: UsageRow[]; totals: Counts }> {
  const by = [...new Set(groupBy)].map((g) => COLUMN[g]);
  const [groups, total] = await Promise.all([
    by.length ? db.llmUsage.groupBy({ by, where: where(filter), _sum: SUMS }) : Promise.resolve([]),
    db.llmUsage.aggregate({ where: where(filter), _sum: SUMS }),
  ]);
  const totals = countsOf(total._sum);
  const rows: UsageRow[] = by.length
    ? groups.map((g) => {
        const row: UsageRow = countsOf(g._sum);
        for (const group of groupBy) {
          const v = (g as Record<string, unknown>)[COLUMN[group]];
          row[group] = v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
        }
        return row;
      })
    : [{ ...totals }];
  rows.sort((x, y) => y.cost - x.cost || y.limitTokens - x.limitTokens);
  return { rows, totals };
}

/** A product's usage: totals and per stage. */
export async function productUsage(db: PrismaClient, asin: string): Promise<LlmUsageSummary> {
  const { rows, totals } = await usageSummary(db, ['stage'], { asin });
  const byStage: Record<string, Counts> = {};
  for (const { stage, ...counts } of rows) if (stage !== undefined) byStage[stage || 'unknown'] = counts;
  return { ...totals, byStage };
}
