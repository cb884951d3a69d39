/**
 * How the stages hand work to each other: publish the next stage's messages,
 * then mark the rows `queued` (with the time, for the sweeper). Publishing
 * first means a crash in between leaves rows `pending` and the message on its
 * queue: the redelivered message or the sweeper publishes again, and the
 * writers only ever turn a review `done` once, so nothing is duplicated.
 *
 * Message ids are deterministic: the content (product, review ids) plus the
 * rows' generation (their `queued_at`, null before the first publication).
 * The same work published twice in a row (a redelivered upload, two
 * sweepers at once) gets the same id and JetStream stores it once; the
 * sweeper's later re-publication of work that was lost gets a new id,
 * because publishing moved the rows' queued_at on.
 */
import { createHash } from 'node:crypto';
import { publish } from '@voc/messaging';
import { planBatches, type ClassifierConfig } from '@voc/review-classifier';
import type { PipelineDeps } from './deps';
import { markQueued } from './lifecycle';

export interface ReviewToTranslate {
  reviewId: string;
  body: string;
  rating: number;
  /** The row's translate_queued_at (its generation); null or absent before the first publication. */
  translateQueuedAt?: Date | null;
}

/** A review waiting for analysis, with the generation of that stage's row. */
export interface ReviewToAnalyse {
  reviewId: string;
  queuedAt?: Date | null;
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
  opts: { classifier?: ClassifierConfig } = {},
): Promise<{ batches: number }> {
  if (reviews.length === 0) return { batches: 0 };
  const batches = planBatches(reviews, opts.classifier);
  for (const b of batches) {
    const job = { asin, kind: 'reviews' as const, category: b.category, reviewIds: b.reviews.map((r) => r.reviewId) };
    await publish(deps.js, 'TRANSLATE', job, { msgId: workMsgId('translate', asin, b.reviews.map((r) => [r.reviewId, r.translateQueuedAt])) });
  }
  await markQueued(deps.db, 'translate', { asin, reviewIds: reviews.map((r) => r.reviewId) });
  return { batches: batches.length };
}

/** Publishes INSIGHT or THEME jobs in chunks of ANALYSIS_CHUNK_SIZE and marks the reviews queued. */
export async function enqueueAnalysis(
  deps: PipelineDeps,
  stage: AnalysisStage,
  asin: string,
  learningVersion: number,
  reviews: readonly ReviewToAnalyse[],
): Promise<{ messages: number }> {
  if (reviews.length === 0) return { messages: 0 };
  const queue = stage === 'insight' ? 'INSIGHT' : 'THEME';
  const chunks = chunk(reviews, deps.settings.ANALYSIS_CHUNK_SIZE);
  for (const part of chunks) {
    const job = { asin, reviewIds: part.map((r) => r.reviewId), learningVersion };
    await publish(deps.js, queue, job, { msgId: workMsgId(`${stage}:v${learningVersion}`, asin, part.map((r) => [r.reviewId, r.queuedAt])) });
  }
  await markQueued(deps.db, stage, { asin, reviewIds: reviews.map((r) => r.reviewId) });
  return { messages: chunks.length };
}

/** The reviews of `asin` (among `reviewIds`, if given) still `pending` at `stage`, with their generation. */
export async function pendingAnalysis(deps: PipelineDeps, stage: AnalysisStage, asin: string, reviewIds?: readonly string[]): Promise<ReviewToAnalyse[]> {
  const rows = await deps.db.review.findMany({
    where: { asin, [`${stage}Status`]: 'pending', ...(reviewIds ? { reviewId: { in: [...reviewIds] } } : {}) },
    select: { reviewId: true, insightQueuedAt: true, themeQueuedAt: true },
    orderBy: { id: 'asc' },
  });
  return rows.map((r) => ({ reviewId: r.reviewId, queuedAt: stage === 'insight' ? r.insightQueuedAt : r.themeQueuedAt }));
}

/** Releases a product's waiting insight and theme work (every review still `pending` in that stage, or of `reviewIds`). */
export async function releaseAnalysis(
  deps: PipelineDeps,
  asin: string,
  learningVersion: number,
  reviewIds?: readonly string[],
): Promise<{ insight: number; theme: number }> {
  const out = { insight: 0, theme: 0 };
  for (const stage of ['insight', 'theme'] as const) {
    const rows = await pendingAnalysis(deps, stage, asin, reviewIds);
    await enqueueAnalysis(deps, stage, asin, learningVersion, rows);
    out[stage] = rows.length;
  }
  return out;
}

/**
 * Queues translation of a product's bullet points. The message id carries a
 * hash of the list (a changed list is never dropped as a duplicate of the
 * old one) and the row's generation.
 */
export async function enqueueBullets(
  deps: PipelineDeps,
  asin: string,
  bullets: readonly string[],
  queuedAt: Date | null | undefined,
): Promise<void> {
  const job = { asin, kind: 'bullets' as const };
  const msgId = `translate-bullets:${asin}:${digest(bullets.join('\u0000'))}:${queuedAt?.getTime() ?? 0}`;
  await publish(deps.js, 'TRANSLATE', job, { msgId });
  await deps.db.product.updateMany({
    where: { asin, bulletsTranslateStatus: { in: ['pending', 'queued'] }, bulletPoints: { equals: [...bullets] } },
    data: { bulletsTranslateStatus: 'queued', bulletsTranslateQueuedAt: new Date() },
  });
}

/** `<prefix>:<asin>:<n>-<hash of the review ids and their generations>`. */
function workMsgId(prefix: string, asin: string, rows: readonly (readonly [string, Date | null | undefined])[]): string {
  const content = rows.map(([id, at]) => `${id}@${at?.getTime() ?? 0}`).join('\u0000');
  return `${prefix}:${asin}:${rows.length}-${digest(content)}`;
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 22);
}
