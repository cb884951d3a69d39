/**
 * The shared shape of insight-svc and theme-svc (seed 001's "dirty heavy
 * work"): a message is a chunk of one product's reviews; up to PARALLEL_SIZE
 * LLM calls run at once (p-limit); results are written WRITE_BATCH_SIZE
 * reviews per transaction (seed 001: 20), never row by row. A write first
 * flips the reviews' stage status to done where it was not, and inserts
 * results only for the reviews it flipped, so however often a message is
 * redelivered (or two messages overlap) each review gets exactly one set.
 */
import pLimit from 'p-limit';
import { Prisma, type PrismaClient } from '@voc/db';
import { MalformedAnswerError } from '@voc/prompts';
import { TransientError, type HandlerContext } from '@voc/messaging';
import type { PipelineDeps } from './deps';
import { errorText, markReviewsFailed } from './failures';
import type { AnalysisStage } from './handover';

export interface AnalysisReview {
  id: number;
  reviewId: string;
  body: string;
  bodyZh: string | null;
  rating: number;
}

type Tx = Prisma.TransactionClient;

export interface AnalysisSpec<R> {
  stage: AnalysisStage;
  parallelSize: number;
  extract: (review: AnalysisReview) => Promise<R>;
  /** Inserts the results of reviews already claimed as done in this transaction. */
  insert: (tx: Tx, done: { review: AnalysisReview; result: R }[]) => Promise<number>;
}

export interface AnalysisResult {
  reviews: number;
  written: number;
  rows: number;
  failed: number;
  retry: number;
}

/** What a message did when it had nothing to do. */
export const NOTHING_ANALYSED: Readonly<AnalysisResult> = Object.freeze({ reviews: 0, written: 0, rows: 0, failed: 0, retry: 0 });

export async function runAnalysis<R>(
  deps: PipelineDeps,
  job: { asin: string; reviewIds: string[] },
  ctx: Pick<HandlerContext, 'signal' | 'isLastDelivery'>,
  spec: AnalysisSpec<R>,
): Promise<AnalysisResult> {
  const { db } = deps;
  const statusCol = `${spec.stage}Status` as const;
  const reviews = await db.review.findMany({
    where: { asin: job.asin, reviewId: { in: job.reviewIds }, [statusCol]: { in: ['pending', 'queued'] } },
    select: { id: true, reviewId: true, body: true, bodyZh: true, rating: true },
    orderBy: { id: 'asc' },
  });
  const out: AnalysisResult = { ...NOTHING_ANALYSED, reviews: reviews.length };
  if (reviews.length === 0) return out;

  let buffer: { review: AnalysisReview; result: R }[] = [];
  let writes = Promise.resolve();
  // Writes are chained: one transaction at a time per message, in completion order.
  const flush = () => {
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return writes;
    writes = writes.then(async () => {
      const { claimed, rows } = await writeBatch(db, spec, batch);
      out.written += claimed;
      out.rows += rows;
    });
    return writes;
  };

  const transient: { review: AnalysisReview; error: unknown }[] = [];
  const malformed: { review: AnalysisReview; error: unknown }[] = [];
  const limit = pLimit(spec.parallelSize);
  await Promise.all(
    reviews.map((review) =>
      limit(async () => {
        if (ctx.signal.aborted) {
          transient.push({ review, error: ctx.signal.reason });
          return;
        }
        try {
          const result = await spec.extract(review);
          buffer.push({ review, result });
          if (buffer.length >= deps.settings.WRITE_BATCH_SIZE) void flush();
        } catch (error) {
          (error instanceof MalformedAnswerError ? malformed : transient).push({ review, error });
        }
      }),
    ),
  );
  await flush();

  // An answer that stayed malformed after its retry is that review's problem, not the batch's.
  if (malformed.length > 0) {
    await markReviewsFailed(db, spec.stage, { ids: malformed.map((m) => m.review.id) }, errorText(malformed[0]!.error));
    out.failed += malformed.length;
  }
  if (transient.length > 0) {
    const message = errorText(transient[0]!.error);
    if (ctx.isLastDelivery) {
      await markReviewsFailed(db, spec.stage, { ids: transient.map((t) => t.review.id) }, message);
      out.failed += transient.length;
    } else {
      out.retry = transient.length;
      throw new TransientError(`${spec.stage} ${job.asin}: ${transient.length} of ${reviews.length} reviews to retry (${message})`);
    }
  }
  return out;
}

async function writeBatch<R>(db: PrismaClient, spec: AnalysisSpec<R>, batch: { review: AnalysisReview; result: R }[]) {
  const status = Prisma.raw(`${spec.stage}_status`);
  const doneAt = Prisma.raw(`${spec.stage}_done_at`);
  const attempts = Prisma.raw(`${spec.stage}_attempts`);
  const lastError = Prisma.raw(`${spec.stage}_last_error`);
  return db.$transaction(async (tx) => {
    const claimed = await tx.$queryRaw<{ id: number }[]>`
      UPDATE reviews SET ${status} = 'done', ${doneAt} = now(), ${attempts} = ${attempts} + 1, ${lastError} = NULL, updated_at = now()
      WHERE id = ANY(${batch.map((b) => b.review.id)}::int[]) AND ${status} <> 'done'
      RETURNING id`;
    const ids = new Set(claimed.map((c) => c.id));
    const rows = ids.size ? await spec.insert(tx, batch.filter((b) => ids.has(b.review.id))) : 0;
    return { claimed: ids.size, rows };
  });
}
