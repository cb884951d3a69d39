/**
 * translate-svc's stage: one classifier batch of one product per message.
 * VIP reviews come alone and get the few-shot prompt; the others go through
 * the batch JSON prompt with fallback to smaller batches. Results are written
 * in one statement that only touches reviews not yet done, so a redelivered
 * batch can never translate a review twice.
 *
 * Failures: a review the provider refuses (400) fails at once (resending it
 * cannot help); a malformed answer is retried with the message's next
 * delivery, and given up on its last; a provider that is down for everyone
 * is thrown untouched, for the runner to hold the message until it is back.
 * Bullet points get at most BULLETS_MAX_ATTEMPTS tries of their own, then
 * `failed` with the reason: the sweeper never re-publishes them forever.
 */
import { bulletPointsOf } from '@voc/db';
import { translateBatchWithFallback, translateBulletPoints } from '@voc/llm';
import { TransientError, type TranslateJob } from '@voc/messaging';
import { retrying, type StageContext } from './context';
import { needLlm, type PipelineDeps } from './deps';
import { errorText } from './failures';
import { markFailed, markRefused, recordAttempt } from './lifecycle';
import { dependencyOf, isRefusal } from './outage';

export interface TranslateResult {
  translated: number;
  failed: number;
  /** Of the failed: refused by the provider. */
  refused: number;
  calls: number;
  fallbacks: number;
}

const NOTHING: TranslateResult = Object.freeze({ translated: 0, failed: 0, refused: 0, calls: 0, fallbacks: 0 });

export async function handleTranslate(deps: PipelineDeps, job: TranslateJob, ctx: StageContext): Promise<TranslateResult> {
  if (job.kind === 'bullets') return translateBullets(deps, job.asin, ctx);
  const llm = needLlm(deps, 'translate');
  const { db } = deps;
  const reviews = await db.review.findMany({
    where: { asin: job.asin, reviewId: { in: job.reviewIds }, translateStatus: { in: ['pending', 'queued'] } },
    select: { reviewId: true, body: true, rating: true },
    orderBy: { id: 'asc' },
  });
  if (reviews.length === 0) return { ...NOTHING };

  let result;
  try {
    result = await translateBatchWithFallback(
      llm,
      reviews.map((r) => ({ id: r.reviewId, text: r.body, rating: r.rating })),
      { asin: job.asin, signal: ctx.signal },
    );
  } catch (err) {
    // Its own failure on the last delivery is recorded on the reviews; an outage never is.
    if (ctx.isLastDelivery && !dependencyOf(err)) {
      await giveUp(deps, job.asin, reviews.map((r) => r.reviewId), errorText(err));
    }
    throw err;
  }
  const ids = [...result.translations.keys()];
  const texts = ids.map((id) => result.translations.get(id)!);
  if (ids.length > 0) {
    // The translations are paid for: a database outage here waits instead of throwing them away.
    await retrying(
      ctx,
      () => db.$executeRaw`
      UPDATE reviews r
      SET body_zh = v.zh, translate_status = 'done', translate_done_at = now(),
          translate_attempts = r.translate_attempts + 1, translate_last_error = NULL, updated_at = now()
      FROM unnest(${ids}::text[], ${texts}::text[]) AS v(review_id, zh)
      WHERE r.asin = ${job.asin} AND r.review_id = v.review_id AND r.translate_status <> 'done'`,
    );
  }
  const refused = result.failed.filter((f) => isRefusal(f.error));
  const malformed = result.failed.filter((f) => !isRefusal(f.error));
  for (const f of refused) {
    await markRefused(db, 'translate', { asin: job.asin, reviewIds: [f.id] }, errorText(f.error));
  }
  if (refused.length > 0) deps.log.warn({ asin: job.asin, reviewIds: refused.map((f) => f.id) }, 'translation refused by the provider');
  if (malformed.length > 0) {
    const failedIds = malformed.map((f) => f.id);
    const error = errorText(malformed[0]!.error);
    if (!ctx.isLastDelivery) {
      await recordAttempt(db, 'translate', { asin: job.asin, reviewIds: failedIds }, error);
      // The translated ones are saved; the redelivery retries only these.
      throw new TransientError(`translate ${job.asin}: ${failedIds.length} review(s) could not be translated: ${error}`);
    }
    await giveUp(deps, job.asin, failedIds, error);
  }
  return { translated: ids.length, failed: result.failed.length, refused: refused.length, calls: result.calls, fallbacks: result.fallbacks };
}

/** Gives up on these reviews' translation (logged: the reviews stay untranslated for good). */
async function giveUp(deps: PipelineDeps, asin: string, reviewIds: string[], error: string): Promise<void> {
  await markFailed(deps.db, 'translate', { asin, reviewIds }, error);
  deps.log.warn({ asin, reviewIds, error }, 'translation failed for good');
}

async function translateBullets(deps: PipelineDeps, asin: string, ctx: StageContext): Promise<TranslateResult> {
  const llm = needLlm(deps, 'translate');
  const { db } = deps;
  const product = await db.product.findUnique({ where: { asin } });
  const bullets = product ? bulletPointsOf(product) : [];
  if (!product || product.bulletsTranslateStatus === 'done' || product.bulletsTranslateStatus === 'failed' || bullets.length === 0) {
    return { ...NOTHING };
  }
  let zh: string[];
  try {
    zh = await translateBulletPoints(llm, { bulletPoints: bullets, asin, signal: ctx.signal });
  } catch (err) {
    if (dependencyOf(err)) throw err;
    // Its own failure: counted on the product (only while the list is the one tried), failed at the cap.
    const error = errorText(err);
    const attempts = product.bulletsTranslateAttempts + 1;
    const giveUpNow = attempts >= deps.settings.BULLETS_MAX_ATTEMPTS || isRefusal(err);
    await db.product.updateMany({
      where: { asin, bulletPoints: { equals: bullets }, bulletsTranslateStatus: { in: ['pending', 'queued'] } },
      data: {
        bulletsTranslateAttempts: { increment: 1 },
        bulletsTranslateError: error,
        ...(giveUpNow ? { bulletsTranslateStatus: 'failed' } : {}),
      },
    });
    if (giveUpNow) {
      deps.log.warn({ asin, attempts, error }, 'bullet point translation failed for good');
      return { ...NOTHING, failed: bullets.length, refused: isRefusal(err) ? bullets.length : 0, calls: 1 };
    }
    throw err;
  }
  // Only if the bullets are still the ones translated (an upload may have replaced them meanwhile).
  await retrying(ctx, () =>
    db.product.updateMany({
      where: { asin, bulletPoints: { equals: bullets } },
      data: { bulletPointsZh: zh, bulletsTranslateStatus: 'done', bulletsTranslateAttempts: { increment: 1 }, bulletsTranslateError: null },
    }),
  );
  return { ...NOTHING, translated: bullets.length, calls: 1 };
}
