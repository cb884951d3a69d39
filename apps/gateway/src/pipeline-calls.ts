/**
 * The gateway's two calls into @voc/pipeline that need more than a plain
 * call: learning (an already queued or running job is the answer; only new
 * work passes the key's cooldown) and review pages (a cursor the pipeline or
 * the database cannot use is the client's mistake, 400).
 */
import { Prisma, type PrismaClient } from '@voc/db';
import { InvalidCursorError, InvalidReviewFilterError, listReviews, requestLearning, type ListReviewsOptions, type PipelineDeps, type ReviewPage } from '@voc/pipeline';
import { ApiError } from './errors';

export interface LearningAnswer {
  jobId: string;
  /** True when a queued or running job of the product was returned instead of a new one. */
  existing: boolean;
}

/**
 * The product's queued or running learning job, or a new `manual` one after
 * `beforeQueuing` (the cooldown check, which throws to refuse). Undefined for
 * an unknown product, or when the pipeline would not queue it.
 */
export async function learnProduct(deps: PipelineDeps, asin: string, beforeQueuing: () => Promise<void>): Promise<LearningAnswer | undefined> {
  const current = await deps.db.learningJob.findFirst({
    where: { asin, status: { in: ['queued', 'running'] } },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  });
  if (current) return { jobId: current.id, existing: true };
  if (!(await deps.db.product.findUnique({ where: { asin }, select: { asin: true } }))) return undefined;
  await beforeQueuing();
  // The pipeline also answers with a job queued meanwhile by another request (existing: true).
  return requestLearning(deps, asin, 'manual');
}

const badCursor = (message: string) => new ApiError('invalid_cursor', 'cursor is not one this API returned', [{ field: 'cursor', message: message.slice(0, 200) }]);

export async function reviewsPage(db: PrismaClient, asin: string, opts: ListReviewsOptions): Promise<ReviewPage> {
  const { cursor } = opts;
  try {
    return await listReviews(db, asin, opts);
  } catch (err) {
    if (err instanceof InvalidCursorError) throw badCursor(err.message);
    if (err instanceof InvalidReviewFilterError) throw new ApiError('invalid_query', err.message, [{ field: 'status', message: err.message }]);
    // A cursor decoding to a key the database cannot even compare (beyond int4: Prisma's validation,
    // or P2020 "value out of range" from PostgreSQL) was not issued by us.
    const outOfRange = err instanceof Prisma.PrismaClientValidationError || (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2020');
    if (cursor !== undefined && outOfRange) throw badCursor('out of range');
    throw err;
  }
}
