/**
 * ingest-svc's stage (seed 001 "worker-base": never calls the LLM). Stores an
 * upload's reviews in bulk, classified, skipping (asin, reviewId) already
 * stored; then hands over: translation in classifier batches, bullet points,
 * learning the first time a product has enough reviews (or relearning when it
 * has grown), and insight/theme work when the product is already learned.
 * Every step is safe to repeat, so a redelivered message is harmless.
 */
import { bulletPointsOf, Prisma } from '@voc/db';
import { codePointLength, classify, type ClassifierConfig } from '@voc/review-classifier';
import type { IngestJob } from '@voc/messaging';
import type { PipelineDeps } from './deps';
import { enqueueAnalysis, enqueueBullets, enqueueTranslation, requestLearning } from './handover';

const INSERT_CHUNK = 500;

export interface IngestResult {
  received: number;
  inserted: number;
  duplicates: number;
  translationBatches: number;
}

export async function handleIngest(deps: PipelineDeps, job: IngestJob, classifier?: ClassifierConfig): Promise<IngestResult> {
  const { db } = deps;
  const uploadKey = job.parts && job.parts > 1 ? `${job.uploadId}#${job.part ?? 1}` : job.uploadId;
  const upload = await db.upload.findUnique({ where: { id: uploadKey } });
  if (upload?.status === 'processed') {
    return { received: upload.received, inserted: upload.inserted, duplicates: upload.duplicates, translationBatches: 0 };
  }

  const bullets = job.product?.bulletPoints?.filter((b) => b.trim());
  const existing = await db.product.findUnique({ where: { asin: job.asin }, select: { bulletPoints: true } });
  const bulletsChanged = !!bullets?.length && JSON.stringify(existing?.bulletPoints ?? []) !== JSON.stringify(bullets);
  await db.product.upsert({
    where: { asin: job.asin },
    create: {
      asin: job.asin,
      marketplace: job.marketplace ?? 'US',
      title: job.product?.title ?? null,
      bulletPoints: bullets ?? [],
      lastUploadAt: new Date(),
    },
    update: {
      lastUploadAt: new Date(),
      ...(job.product?.title ? { title: job.product.title } : {}),
      ...(bulletsChanged ? { bulletPoints: bullets, bulletPointsZh: Prisma.DbNull, bulletsTranslateStatus: 'pending' } : {}),
    },
  });

  // Bulk insert; skipDuplicates makes re-sent reviews (and this message's redelivery) no-ops.
  let inserted = 0;
  for (let i = 0; i < job.reviews.length; i += INSERT_CHUNK) {
    const rows = job.reviews.slice(i, i + INSERT_CHUNK).map((r) => ({
      asin: job.asin,
      reviewId: r.reviewId,
      rating: r.rating,
      title: r.title ?? null,
      body: r.body,
      author: r.author ?? null,
      reviewDate: r.date ?? null,
      helpfulVotes: r.helpfulVotes ?? 0,
      verified: r.verified ?? null,
      category: classify(r, classifier),
      bodyLength: codePointLength(r.body),
      uploadId: job.uploadId,
    }));
    const res = await db.review.createMany({ data: rows, skipDuplicates: true });
    inserted += res.count;
  }
  // Counted, not incremented: a crash between insert and here must not leave the count short.
  const product = await db.product.update({
    where: { asin: job.asin },
    data: { reviewCount: await db.review.count({ where: { asin: job.asin } }) },
  });
  await db.upload.upsert({
    where: { id: uploadKey },
    create: { id: uploadKey, asin: job.asin, received: job.reviews.length, inserted, duplicates: job.reviews.length - inserted },
    // A redelivery inserts nothing new: keep the first attempt's counts.
    update: {},
  });

  // Hand over whatever of this upload is still waiting (also what a crashed attempt left).
  const ids = job.reviews.map((r) => r.reviewId);
  const toTranslate = await db.review.findMany({
    where: { asin: job.asin, reviewId: { in: ids }, translateStatus: 'pending' },
    select: { reviewId: true, body: true, rating: true },
    orderBy: { id: 'asc' },
  });
  const { batches } = await enqueueTranslation(deps, job.asin, toTranslate, { classifier });

  if (product.bulletsTranslateStatus === 'pending' && bulletPointsOf(product).length > 0) {
    await enqueueBullets(deps, job.asin);
  }

  if (product.learningState === 'learned') {
    for (const stage of ['insight', 'theme'] as const) {
      const waiting = await db.review.findMany({
        where: { asin: job.asin, reviewId: { in: ids }, [`${stage}Status`]: 'pending' },
        select: { reviewId: true },
        orderBy: { id: 'asc' },
      });
      await enqueueAnalysis(deps, stage, job.asin, product.learningVersion, waiting.map((r) => r.reviewId));
    }
    const s = deps.settings;
    if (
      product.reviewCount >= product.learnedReviewCount * s.RELEARN_GROWTH_FACTOR &&
      product.reviewCount - product.learnedReviewCount >= s.RELEARN_MIN_NEW_REVIEWS
    ) {
      await requestLearning(deps, job.asin, 'grown');
    }
  } else if (product.learningState === 'pending' && product.reviewCount >= deps.settings.LEARN_MIN_REVIEWS) {
    await requestLearning(deps, job.asin, 'new');
  }
  // Fewer reviews than LEARN_MIN_REVIEWS: the sweeper learns the product once its uploads go quiet.

  await db.upload.update({ where: { id: uploadKey }, data: { status: 'processed', processedAt: new Date() } });
  deps.log.info({ asin: job.asin, uploadId: job.uploadId, part: job.part, inserted, duplicates: job.reviews.length - inserted, batches }, 'upload stored');
  return { received: job.reviews.length, inserted, duplicates: job.reviews.length - inserted, translationBatches: batches };
}
