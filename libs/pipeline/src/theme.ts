/** theme-svc's stage: the review's 5W labels from the product's learned label set (label map cached in Redis). */
import { extractThemes } from '@voc/llm';
import type { Theme } from '@voc/prompts';
import type { ThemeJob } from '@voc/messaging';
import type { StageContext } from './context';
import { NOTHING_ANALYSED, runAnalysis, type AnalysisResult } from './analysis';
import { needLlm, needRedis, type PipelineDeps } from './deps';
import { FIVE_W } from './domain';
import { getLabelMap } from './label-cache';
import { learnedVersion } from './not-learned';

export async function handleTheme(
  deps: PipelineDeps,
  job: ThemeJob,
  ctx: StageContext,
  parallelSize: number,
): Promise<AnalysisResult> {
  const llm = needLlm(deps, 'theme');
  const redis = needRedis(deps, 'theme');
  const version = await learnedVersion(deps, 'theme', job);
  if (version === undefined) return { ...NOTHING_ANALYSED };
  const { map } = await getLabelMap(redis, deps.db, job.asin, version, deps.settings.LABEL_CACHE_TTL_S);
  const labels = Object.fromEntries(
    FIVE_W.map((w) => [w, Object.entries(map.labels[w]).map(([name, l]) => ({ name, description: l.description }))]),
  ) as Record<(typeof FIVE_W)[number], { name: string; description: string }[]>;
  return runAnalysis<Theme[]>(deps, job, ctx, {
    stage: 'theme',
    parallelSize,
    extract: (r) =>
      extractThemes(llm, {
        review: r.body,
        ...(r.bodyZh ? { translation: r.bodyZh } : {}),
        rating: r.rating,
        labels,
        asin: job.asin,
        signal: ctx.signal,
      }),
    insert: async (tx, done) => {
      const data = done.flatMap(({ review, result }) =>
        result.map((t) => ({
          reviewPk: review.id,
          asin: job.asin,
          category: t.category,
          labelId: map.labels[t.category][t.label]!.id,
          quote: t.quote,
          learningVersion: version,
        })),
      );
      return (await tx.theme.createMany({ data, skipDuplicates: true })).count;
    },
  });
}
