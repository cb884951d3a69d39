import type { PipelineDeps } from './deps';
import type { AnalysisStage } from './handover';

/**
 * The product's current learning version, or undefined after parking the
 * job's reviews (see notLearnedYet) when the product has none.
 */
export async function learnedVersion(
  deps: PipelineDeps,
  stage: AnalysisStage,
  job: { asin: string; reviewIds: string[] },
): Promise<number | undefined> {
  const product = await deps.db.product.findUnique({ where: { asin: job.asin }, select: { learningVersion: true } });
  if (product && product.learningVersion > 0) return product.learningVersion;
  await notLearnedYet(deps, stage, job);
  return undefined;
}

/**
 * Analysis work for a product that has no learned model (a sweeper re-enqueue
 * that raced a relearn, say): put the reviews back to `pending`, where the
 * next learning run releases them, instead of analysing without dimensions.
 */
async function notLearnedYet(
  deps: PipelineDeps,
  stage: AnalysisStage,
  job: { asin: string; reviewIds: string[] },
): Promise<void> {
  const statusField = `${stage}Status` as const;
  const res = await deps.db.review.updateMany({
    where: { asin: job.asin, reviewId: { in: job.reviewIds }, [statusField]: 'queued' },
    data: { [statusField]: 'pending' },
  });
  deps.log.warn({ asin: job.asin, stage, reviews: res.count }, 'product not learned yet: analysis work parked until it is');
}
