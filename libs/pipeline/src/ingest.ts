/**
 * ingest-svc's stage (seed 001 "worker-base": never calls the LLM). Stores an
 * upload's reviews in bulk, classified, skipping (asin, reviewId) already
 * stored; then hands over: translation in classifier batches, bullet points,
 * learning when the rule says so (lifecycle), and insight/theme work when
 * the product has a model to analyse with. Every step is safe to repeat, so
 * a redelivered message is harmless.
 *
 * Poison is isolated, never fatal to an upload: a review (or product field)
 * the database cannot store is left out and recorded with its reason
 * (`rejected_reviews`, `rejected_product_fields`), the rest is stored. The
 * column limits of @voc/db catch what is known before the insert; a data
 * error the insert still meets (a rule the limits do not know yet) is
 * narrowed down by halving the chunk until the bad rows stand alone.
 */
import {
  bulletPointsOf,
  escapeUnstorable,
  isUnstorableValue,
  pgErrorCode,
  Prisma,
  productProblems,
  reviewProblems,
  type FieldProblem,
} from '@voc/db';
import { codePointLength, classify, type ClassifierConfig } from '@voc/review-classifier';
import type { IngestJob, ReviewInput } from '@voc/messaging';
import type { PipelineDeps } from './deps';
import { errorText } from './failures';
import { enqueueBullets, enqueueTranslation, releaseAnalysis } from './handover';
import { analysisVersion, learningDue, requestLearning, type LearningAlarms } from './lifecycle';

const INSERT_CHUNK = 500;

export interface IngestResult {
  received: number;
  inserted: number;
  duplicates: number;
  /** Reviews the database could not store (recorded in rejected_reviews). */
  rejected: number;
  /** Product fields left out for the same reason. */
  rejectedFields: string[];
  translationBatches: number;
}

type ReviewRow = Prisma.ReviewCreateManyInput;

/**
 * Stores one INGEST message and hands its work over. `alarms`: where a small
 * product's quiet moment is set, so it is learned then rather than at the
 * sweeper's next pass.
 */
export async function handleIngest(deps: PipelineDeps, job: IngestJob, classifier?: ClassifierConfig, alarms?: LearningAlarms): Promise<IngestResult> {
  const { db } = deps;
  const uploadKey = job.parts && job.parts > 1 ? `${job.uploadId}#${job.part ?? 1}` : job.uploadId;
  const upload = await db.upload.findUnique({ where: { id: uploadKey } });
  if (upload?.status === 'processed') {
    return { received: upload.received, inserted: upload.inserted, duplicates: upload.duplicates, rejected: upload.rejected, rejectedFields: [], translationBatches: 0 };
  }

  const rejectedFields = await storeProduct(deps, job);

  // Reviews: what the column limits refuse is rejected up front; the rest is inserted in bulk.
  const refused: { review: ReviewInput; reason: string }[] = [];
  const rows: { review: ReviewInput; row: ReviewRow }[] = [];
  for (const r of job.reviews) {
    const problems = reviewProblems(r);
    if (problems.length > 0) refused.push({ review: r, reason: describe(problems) });
    else rows.push({ review: r, row: reviewRow(job, r, classifier) });
  }
  let inserted = 0;
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const res = await insertIsolating(deps, rows.slice(i, i + INSERT_CHUNK));
    inserted += res.inserted;
    refused.push(...res.refused);
  }
  if (refused.length > 0) await recordRejectedReviews(deps, job, refused);

  // Counted, not incremented: a crash between insert and here must not leave the count short.
  const product = await db.product.update({
    where: { asin: job.asin },
    data: { reviewCount: await db.review.count({ where: { asin: job.asin } }) },
  });
  const duplicates = job.reviews.length - inserted - refused.length;
  await db.upload.upsert({
    where: { id: uploadKey },
    create: { id: uploadKey, asin: job.asin, received: job.reviews.length, inserted, duplicates, rejected: refused.length },
    // A redelivery inserts nothing new: keep the first attempt's counts.
    update: {},
  });

  // Hand over whatever of this upload is still waiting (also what a crashed attempt left).
  const refusedIds = new Set(refused.map((r) => r.review.reviewId));
  const ids = job.reviews.map((r) => r.reviewId).filter((id) => !refusedIds.has(id));
  const toTranslate = await db.review.findMany({
    where: { asin: job.asin, reviewId: { in: ids }, translateStatus: 'pending' },
    select: { reviewId: true, body: true, rating: true, translateQueuedAt: true },
    orderBy: { id: 'asc' },
  });
  const { batches } = await enqueueTranslation(deps, job.asin, toTranslate, { classifier });

  const bullets = bulletPointsOf(product);
  if (product.bulletsTranslateStatus === 'pending' && bullets.length > 0) {
    await enqueueBullets(deps, job.asin, bullets, product.bulletsTranslateQueuedAt);
  }

  // A product with a model analyses new reviews at once; else they wait for learning.
  const version = analysisVersion(product);
  if (version !== undefined) await releaseAnalysis(deps, job.asin, version, ids);
  const reason = learningDue(product, deps.settings);
  if (reason) await requestLearning(deps, job.asin, reason);
  // Fewer reviews than LEARN_MIN_REVIEWS: learned once its uploads go quiet (the alarm; the sweeper backs it up).
  else alarms?.arm(job.asin, product);

  await db.upload.update({ where: { id: uploadKey }, data: { status: 'processed', processedAt: new Date() } });
  deps.log.info(
    { asin: job.asin, uploadId: job.uploadId, part: job.part, inserted, duplicates, rejected: refused.length, rejectedFields, batches },
    'upload stored',
  );
  return { received: job.reviews.length, inserted, duplicates, rejected: refused.length, rejectedFields, translationBatches: batches };
}

function reviewRow(job: IngestJob, r: ReviewInput, classifier?: ClassifierConfig): ReviewRow {
  return {
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
  };
}

/**
 * Inserts the rows (skipping ones already stored). On a data error the
 * chunk is halved until the rows PostgreSQL refuses stand alone; those are
 * returned as refused with PostgreSQL's reason, the rest is stored.
 */
async function insertIsolating(
  deps: PipelineDeps,
  rows: { review: ReviewInput; row: ReviewRow }[],
): Promise<{ inserted: number; refused: { review: ReviewInput; reason: string }[] }> {
  if (rows.length === 0) return { inserted: 0, refused: [] };
  try {
    const res = await deps.db.review.createMany({ data: rows.map((r) => r.row), skipDuplicates: true });
    return { inserted: res.count, refused: [] };
  } catch (err) {
    if (!isUnstorableValue(err)) throw err;
    if (rows.length === 1) {
      return { inserted: 0, refused: [{ review: rows[0]!.review, reason: `refused by the database (${pgErrorCode(err)}): ${databaseReason(err)}` }] };
    }
    const mid = Math.ceil(rows.length / 2);
    const a = await insertIsolating(deps, rows.slice(0, mid));
    const b = await insertIsolating(deps, rows.slice(mid));
    return { inserted: a.inserted + b.inserted, refused: [...a.refused, ...b.refused] };
  }
}

/**
 * Creates or updates the product with the fields the database can store; the
 * others are recorded as rejected. Returns the rejected field names.
 */
async function storeProduct(deps: PipelineDeps, job: IngestJob): Promise<string[]> {
  const { db } = deps;
  const problems = productProblems(job.product ?? {});
  const bad = new Set(problems.map((p) => p.field));
  const title = job.product?.title && !bad.has('title') ? job.product.title : undefined;
  const bullets = bad.has('bulletPoints')
    ? undefined
    : job.product?.bulletPoints?.filter((b, i) => b.trim() && !bad.has(`bulletPoints.${i}`));
  const rejected = problems.map((p) => ({ field: p.field, reason: p.message, value: rawField(job, p.field) }));

  const upsert = async (t: string | undefined, b: string[] | undefined) => {
    const existing = await db.product.findUnique({ where: { asin: job.asin }, select: { bulletPoints: true } });
    const bulletsChanged = !!b?.length && JSON.stringify(existing?.bulletPoints ?? []) !== JSON.stringify(b);
    await db.product.upsert({
      where: { asin: job.asin },
      create: { asin: job.asin, marketplace: job.marketplace ?? 'US', title: t ?? null, bulletPoints: b ?? [], lastUploadAt: new Date() },
      update: {
        lastUploadAt: new Date(),
        ...(t ? { title: t } : {}),
        // A new list is translated afresh, with a fresh attempt budget.
        ...(bulletsChanged
          ? { bulletPoints: b, bulletPointsZh: Prisma.DbNull, bulletsTranslateStatus: 'pending', bulletsTranslateAttempts: 0, bulletsTranslateError: null }
          : {}),
      },
    });
  };
  try {
    await upsert(title, bullets);
  } catch (err) {
    if (!isUnstorableValue(err)) throw err;
    // A rule the limits do not know yet: keep the product, without the fields it could not take.
    const reason = `refused by the database (${pgErrorCode(err)}): ${databaseReason(err)}`;
    if (title !== undefined) rejected.push({ field: 'title', reason, value: title });
    if (bullets?.length) rejected.push({ field: 'bulletPoints', reason, value: bullets });
    await upsert(undefined, undefined);
  }
  if (rejected.length > 0) {
    await db.rejectedProductField.createMany({
      data: rejected.map((r) => ({
        asin: job.asin,
        uploadId: job.uploadId,
        field: r.field,
        reason: r.reason,
        raw: escapeUnstorable(typeof r.value === 'string' ? r.value : JSON.stringify(r.value ?? null)),
      })),
      skipDuplicates: true,
    });
    deps.log.warn({ asin: job.asin, uploadId: job.uploadId, fields: rejected.map((r) => `${r.field}: ${r.reason}`) }, 'product fields rejected');
  }
  return rejected.map((r) => r.field);
}

async function recordRejectedReviews(deps: PipelineDeps, job: IngestJob, refused: { review: ReviewInput; reason: string }[]): Promise<void> {
  // JSON.stringify writes NUL and lone surrogates as \u escapes: storable text, readable as the upload was.
  await deps.db.rejectedReview.createMany({
    data: refused.map((r) => ({
      asin: job.asin,
      reviewId: escapeUnstorable(r.review.reviewId).slice(0, 500),
      uploadId: job.uploadId,
      reason: r.reason.slice(0, 2000),
      raw: JSON.stringify(r.review),
    })),
    skipDuplicates: true,
  });
  deps.log.warn(
    { asin: job.asin, uploadId: job.uploadId, rejected: refused.map((r) => ({ reviewId: escapeUnstorable(r.review.reviewId), reason: r.reason })) },
    'reviews rejected: the database cannot store them',
  );
}

function rawField(job: IngestJob, field: string): unknown {
  if (field === 'title') return job.product?.title;
  if (field === 'bulletPoints') return job.product?.bulletPoints;
  const m = /^bulletPoints\.(\d+)$/.exec(field);
  return m ? job.product?.bulletPoints?.[Number(m[1])] : undefined;
}

function describe(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}

function databaseReason(err: unknown): string {
  const cause = (err as { meta?: { driverAdapterError?: { cause?: { originalMessage?: string; message?: string } } } }).meta?.driverAdapterError?.cause;
  return cause?.originalMessage ?? cause?.message ?? errorText(err);
}
