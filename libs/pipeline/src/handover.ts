/**
 * How the stages hand work to each other: publish the next stage's messages,
 * then mark the rows `queued` (with the time, for the sweeper). Publishing
 * first means a crash in between leaves rows `pending` and the message on its
 * queue: the redelivered message or the sweeper publishes again, the msgId
 * (a hash of the content) lets JetStream drop the repeat, and the writers
 * only ever turn a review `done` once, so nothing is duplicated.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Prisma, type LearningReason } from '@voc/db';
import { publish } from '@voc/messaging';
import { planBatches, type ClassifierConfig } from '@voc/review-classifier';
import type { PipelineDeps } from './deps';

export interface ReviewToTranslate {
  reviewId: string;
  body: string;
  rating: number;
}

export type AnalysisStage = 'insight' | 'theme';

const chunk = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/** Publishes TRANSLATE jobs in the classifier's batches (short → standard → vip) and marks the reviews queued. */
export async function enqueueTranslation(
  deps: PipelineDeps,
  asin: string,
  reviews: readonly ReviewToTranslate[],
  opts: { classifier?: ClassifierConfig; msgIdSuffix?: string } = {},
): Promise<{ batches: number }> {
  if (reviews.length === 0) return { batches: 0 };
  const batches = planBatches(reviews, opts.classifier);
  for (const b of batches) {
    const job = { asin, kind: 'reviews' as const, category: b.category, reviewIds: b.reviews.map((r) => r.reviewId) };
    await publish(deps.js, 'TRANSLATE', job, opts.msgIdSuffix ? { msgId: `${contentId('translate', job)}:${opts.msgIdSuffix}` } : {});
  }
  await deps.db.$executeRaw`
    UPDATE reviews SET translate_status = 'queued', translate_queued_at = now(), updated_at = now()
    WHERE asin = ${asin} AND review_id = ANY(${reviews.map((r) => r.reviewId)}::text[]) AND translate_status IN ('pending', 'queued')`;
  return { batches: batches.length };
}

/** Publishes INSIGHT or THEME jobs in chunks of ANALYSIS_CHUNK_SIZE and marks the reviews queued. */
export async function enqueueAnalysis(
  deps: PipelineDeps,
  stage: AnalysisStage,
  asin: string,
  learningVersion: number,
  reviewIds: readonly string[],
  opts: { msgIdSuffix?: string } = {},
): Promise<{ messages: number }> {
  if (reviewIds.length === 0) return { messages: 0 };
  const queue = stage === 'insight' ? 'INSIGHT' : 'THEME';
  const chunks = chunk(reviewIds, deps.settings.ANALYSIS_CHUNK_SIZE);
  for (const ids of chunks) {
    const job = { asin, reviewIds: ids, learningVersion };
    await publish(deps.js, queue, job, opts.msgIdSuffix ? { msgId: `${contentId(stage, job)}:${opts.msgIdSuffix}` } : {});
  }
  const status = Prisma.raw(`${stage}_status`);
  const queuedAt = Prisma.raw(`${stage}_queued_at`);
  await deps.db.$executeRaw`
    UPDATE reviews SET ${status} = 'queued', ${queuedAt} = now(), updated_at = now()
    WHERE asin = ${asin} AND review_id = ANY(${[...reviewIds]}::text[]) AND ${status} IN ('pending', 'queued')`;
  return { messages: chunks.length };
}

/** Releases a learned product's waiting insight and theme work (every review still `pending` in that stage). */
export async function releaseAnalysis(deps: PipelineDeps, asin: string, learningVersion: number): Promise<{ insight: number; theme: number }> {
  const out = { insight: 0, theme: 0 };
  for (const stage of ['insight', 'theme'] as const) {
    const rows = await deps.db.review.findMany({
      where: { asin, [`${stage}Status`]: 'pending' },
      select: { reviewId: true },
      orderBy: { id: 'asc' },
    });
    await enqueueAnalysis(deps, stage, asin, learningVersion, rows.map((r) => r.reviewId));
    out[stage] = rows.length;
  }
  return out;
}

/** States a product may be in for each automatic reason to (re)learn it. */
const LEARNABLE_FROM: Record<LearningReason, Array<'pending' | 'queued' | 'learning' | 'learned' | 'failed'>> = {
  new: ['pending'],
  quiet: ['pending'],
  grown: ['learned'],
  manual: ['pending', 'queued', 'learning', 'learned', 'failed'],
  sweeper: ['queued', 'learning', 'failed'],
};

/**
 * Queues learning of a product (the VIP lane). The state change is a
 * conditional update, so of several processes that decide at once to learn
 * the same product exactly one queues it; the others get `undefined`.
 */
export async function requestLearning(
  deps: PipelineDeps,
  asin: string,
  reason: LearningReason,
): Promise<{ jobId: string } | undefined> {
  const won = await deps.db.product.updateMany({
    where: { asin, learningState: { in: LEARNABLE_FROM[reason] } },
    data: { learningState: 'queued' },
  });
  if (won.count === 0) return undefined;
  const jobId = randomUUID();
  await deps.db.learningJob.create({ data: { id: jobId, asin, reason } });
  await publish(deps.js, 'LEARNING', { jobId, asin, reason }, { msgId: `learning:${jobId}` });
  deps.log.info({ asin, reason, jobId }, 'learning queued');
  return { jobId };
}

/** Queues translation of a product's bullet points when they are pending. */
export async function enqueueBullets(deps: PipelineDeps, asin: string, opts: { msgIdSuffix?: string } = {}): Promise<boolean> {
  const job = { asin, kind: 'bullets' as const };
  await publish(deps.js, 'TRANSLATE', job, opts.msgIdSuffix ? { msgId: `translate-bullets:${asin}:${opts.msgIdSuffix}` } : {});
  await deps.db.product.updateMany({
    where: { asin, bulletsTranslateStatus: { in: ['pending', 'queued'] } },
    data: { bulletsTranslateStatus: 'queued', bulletsTranslateQueuedAt: new Date() },
  });
  return true;
}

function contentId(prefix: string, job: { asin: string; reviewIds: readonly string[] }): string {
  return `${prefix}:${job.asin}:${hashIds(job.reviewIds)}`;
}

function hashIds(ids: readonly string[]): string {
  return `${ids.length}-${createHash('sha256').update(ids.join('\u0000')).digest('base64url').slice(0, 22)}`;
}
