/** insight-svc's stage: 3–5 insights per review against the product's learned dimensions. */
import { extractInsights } from '@voc/llm';
import type { Insight } from '@voc/prompts';
import type { InsightJob } from '@voc/messaging';
import type { StageContext } from './context';
import { NOTHING_ANALYSED, runAnalysis, type AnalysisResult } from './analysis';
import { needLlm, type PipelineDeps } from './deps';
import { learnedVersion } from './not-learned';

export async function handleInsight(
  deps: PipelineDeps,
  job: InsightJob,
  ctx: StageContext,
  parallelSize: number,
): Promise<AnalysisResult> {
  const llm = needLlm(deps, 'insight');
  const version = await learnedVersion(deps, 'insight', job);
  if (version === undefined) return { ...NOTHING_ANALYSED };
  const dims = await deps.db.dimension.findMany({ where: { asin: job.asin, learningVersion: version }, orderBy: { id: 'asc' } });
  const dimensionId = new Map(dims.map((d) => [d.name, d.id]));
  const refs = dims.map((d) => ({ name: d.name, description: d.description }));
  return runAnalysis<Insight[]>(deps, job, ctx, {
    stage: 'insight',
    parallelSize,
    extract: (r) =>
      extractInsights(llm, {
        review: r.body,
        ...(r.bodyZh ? { translation: r.bodyZh } : {}),
        rating: r.rating,
        dimensions: refs,
        asin: job.asin,
        signal: ctx.signal,
      }),
    insert: async (tx, done) => {
      const data = done.flatMap(({ review, result }) =>
        result.map((i, position) => ({
          reviewPk: review.id,
          asin: job.asin,
          dimensionId: dimensionId.get(i.dimension)!,
          sentiment: i.sentiment,
          quote: i.quote,
          analysis: i.analysis,
          position,
          learningVersion: version,
        })),
      );
      return (await tx.insight.createMany({ data, skipDuplicates: true })).count;
    },
  });
}
