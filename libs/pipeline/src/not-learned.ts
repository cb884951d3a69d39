import type { PipelineDeps } from './deps';
import type { AnalysisStage } from './handover';
import { analysisVersion, parkQueued } from './lifecycle';

/**
 * The learning version analysis may use now (lifecycle's `analysisVersion`),
 * or undefined after parking the job's reviews: the product has no model
 * yet, or a relearn is queued or running (new reviews wait for the new
 * version). Parked reviews go back to `pending`, where the next learning
 * run releases them.
 */
export async function learnedVersion(
  deps: PipelineDeps,
  stage: AnalysisStage,
  job: { asin: string; reviewIds: string[] },
): Promise<number | undefined> {
  const product = await deps.db.product.findUnique({ where: { asin: job.asin }, select: { learningVersion: true, learningState: true } });
  const version = product ? analysisVersion(product) : undefined;
  if (version !== undefined) return version;
  const parked = await parkQueued(deps.db, stage, { asin: job.asin, reviewIds: job.reviewIds });
  deps.log.warn({ asin: job.asin, stage, reviews: parked, learningState: product?.learningState }, 'no model to analyse with yet: work parked until learning releases it');
  return undefined;
}
