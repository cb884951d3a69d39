/**
 * translate-svc's stage: one classifier batch of one product per message.
 * VIP reviews come alone and get the few-shot prompt; the others go through
 * the batch JSON prompt with fallback to smaller batches. Results are written
 * in one statement that only touches reviews not yet done, so a redelivered
 * batch can never translate a review twice.
 */
import { bulletPointsOf } from '@voc/db';
import { translateBatchWithFallback, translateBulletPoints } from '@voc/llm';
import { TransientError, type HandlerContext, type TranslateJob } from '@voc/messaging';
import { needLlm, type PipelineDeps } from './deps';
import { markReviewsFailed } from './failures';

export interface TranslateResult {
  translated: number;
  failed: number;
  calls: number;
  fallbacks: number;
}

export async function handleTranslate(deps: PipelineDeps, job: TranslateJob, ctx: Pick<HandlerContext, 'signal' | 'isLastDelivery'>): Promise<TranslateResult> {
  if (job.kind === 'bullets') return translateBullets(deps, job.asin, ctx);
  const llm = needLlm(deps, 'translate');
  const { db } = deps;
  const reviews = await db.review.findMany({
    where: { asin: job.asin, reviewId: { in: job.reviewIds }, translateStatus: { in: ['pending', 'queued'] } },
    select: { reviewId: true, body: true, rating: true },
    orderBy: { id: 'asc' },
  });
  if (reviews.length === 0) return { translated: 0, failed: 0, calls: 0, fallbacks: 0 };

  let result;
  try {
    result = await translateBatchWithFallback(
      llm,
      reviews.map((r) => ({ id: r.reviewId, text: r.body, rating: r.rating })),
      { asin: job.asin, signal: ctx.signal },
    );
  } catch (err) {
    // The provider stayed down through every retry of every delivery: record it on the reviews.
    if (ctx.isLastDelivery) await giveUpTranslation(deps, job.asin, reviews.map((r) => r.reviewId), (err as Error).message.slice(0, 500));
    throw err;
  }
  const ids = [...result.translations.keys()];
  const texts = ids.map((id) => result.translations.get(id)!);
  if (ids.length > 0) {
    await db.$executeRaw`
      UPDATE reviews r
      SET body_zh = v.zh, translate_status = 'done', translate_done_at = now(),
          translate_attempts = r.translate_attempts + 1, translate_last_error = NULL, updated_at = now()
      FROM unnest(${ids}::text[], ${texts}::text[]) AS v(review_id, zh)
      WHERE r.asin = ${job.asin} AND r.review_id = v.review_id AND r.translate_status <> 'done'`;
  }
  if (result.failed.length > 0) {
    const failedIds = result.failed.map((f) => f.id);
    const error = result.failed[0]!.error.message.slice(0, 500);
    if (!ctx.isLastDelivery) {
      await db.$executeRaw`
        UPDATE reviews SET translate_attempts = translate_attempts + 1, translate_last_error = ${error}, updated_at = now()
        WHERE asin = ${job.asin} AND review_id = ANY(${failedIds}::text[]) AND translate_status <> 'done'`;
      // The translated ones are saved; the redelivery retries only these.
      throw new TransientError(`translate ${job.asin}: ${failedIds.length} review(s) could not be translated: ${error}`);
    }
    await giveUpTranslation(deps, job.asin, failedIds, error);
  }
  return { translated: ids.length, failed: result.failed.length, calls: result.calls, fallbacks: result.fallbacks };
}

/** Gives up on these reviews' translation (logged: the reviews stay untranslated for good). */
async function giveUpTranslation(deps: PipelineDeps, asin: string, reviewIds: string[], error: string): Promise<void> {
  await markReviewsFailed(deps.db, 'translate', { asin, reviewIds }, error);
  deps.log.warn({ asin, reviewIds, error }, 'translation failed for good');
}

async function translateBullets(deps: PipelineDeps, asin: string, ctx: Pick<HandlerContext, 'signal'>): Promise<TranslateResult> {
  const llm = needLlm(deps, 'translate');
  const product = await deps.db.product.findUnique({ where: { asin } });
  const bullets = product ? bulletPointsOf(product) : [];
  if (!product || product.bulletsTranslateStatus === 'done' || bullets.length === 0) {
    return { translated: 0, failed: 0, calls: 0, fallbacks: 0 };
  }
  const zh = await translateBulletPoints(llm, { bulletPoints: bullets, asin, signal: ctx.signal });
  // Only if the bullets are still the ones translated (an upload may have replaced them meanwhile).
  await deps.db.product.updateMany({
    where: { asin, bulletPoints: { equals: bullets } },
    data: { bulletPointsZh: zh, bulletsTranslateStatus: 'done', bulletsTranslateAttempts: { increment: 1 } },
  });
  return { translated: bullets.length, failed: 0, calls: 1, fallbacks: 0 };
}
