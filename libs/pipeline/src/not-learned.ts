import type { PipelineDeps } from './deps';
import type { AnalysisStage } from './handover';
import type { AnalysisResult } from './analysis';

/**
 * Analysis work for a product that has no learned model (a sweeper re-enqueue
 * that raced a relearn, say): put the reviews back to `pending`, where the
 * next learning run releases them, instead of analysing without dimensions.
 */
export async function notLearnedYet(
  deps: PipelineDeps,
  stage: AnalysisStage,
  job: { asin: string; reviewIds: string[] },
): Promise<AnalysisResult> {
  const statusField = `${stage}Status` as const;
  const res = await deps.db.review.updateMany({
    where: { asin: job.asin, reviewId: { in: job.reviewIds }, [statusField]: 'queued' },
    data: { [statusField]: 'pending' },
  });
  deps.log.warn({ asin: job.asin, stage, reviews: res.count }, 'product not learned yet: analysis work parked until it is');
  return { reviews: 0, written: 0, rows: 0, failed: 0, retry: 0 };
}
