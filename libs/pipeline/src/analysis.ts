/**
 * The shared shape of insight-svc and theme-svc (seed 001's "dirty heavy
 * work"): a message is a chunk of one product's reviews; up to PARALLEL_SIZE
 * LLM calls run at once (p-limit); results are written WRITE_BATCH_SIZE
 * reviews per transaction (seed 001: 20), never row by row. A write first
 * flips the reviews' stage status to done where it was not, and inserts
 * results only for the reviews it flipped, so however often a message is
 * redelivered (or two messages overlap) each review gets exactly one set.
 *
 * Failures, per review: a malformed answer (after its retry) or a refusal
 * (400) is that review's own: it is marked failed, the others go on. A
 * provider or database that is down is nobody's fault: the handler throws
 * it and the runner holds the message until it is back; the reviews done
 * meanwhile are skipped on the rerun. A write is awaited by the handler
 * (never left to reject unobserved) and, under a runner, waits out a
 * database outage with its results (ctx.retryOnOutage) instead of losing them.
 */
import pLimit from 'p-limit';
import { Prisma } from '@voc/db';
import { MalformedAnswerError } from '@voc/prompts';
import { TransientError } from '@voc/messaging';
import { retrying, type StageContext } from './context';
import type { PipelineDeps } from './deps';
import { errorText } from './failures';
import type { AnalysisStage } from './handover';
import { claimDone, markFailed, markRefused } from './lifecycle';
import { dependencyOf, isRefusal } from './outage';

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
  /** Of the failed: refused by the provider. */
  refused: number;
  retry: number;
}

/** What a message did when it had nothing to do. */
export const NOTHING_ANALYSED: Readonly<AnalysisResult> = Object.freeze({ reviews: 0, written: 0, rows: 0, failed: 0, refused: 0, retry: 0 });

export async function runAnalysis<R>(
  deps: PipelineDeps,
  job: { asin: string; reviewIds: string[] },
  ctx: StageContext,
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
  // Writes are chained: one transaction at a time per message, in completion
  // order. A failed write is kept, not thrown into the void: the chain goes
  // on catching, and the handler rethrows the first failure once all is settled.
  let writes: Promise<void> = Promise.resolve();
  let writeError: { error: unknown } | undefined;
  const flush = (): void => {
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return;
    writes = writes.then(async () => {
      if (writeError) return; // the database said no: the rest is retried with the message
      try {
        const { claimed, rows } = await retrying(ctx, () => writeBatch(deps, spec, batch));
        out.written += claimed;
        out.rows += rows;
      } catch (error) {
        writeError = { error };
      }
    });
  };

  const down: { review: AnalysisReview; error: unknown }[] = [];
  const own: { review: AnalysisReview; error: unknown }[] = [];
  const malformed: { review: AnalysisReview; error: unknown }[] = [];
  const refused: { review: AnalysisReview; error: unknown }[] = [];
  const limit = pLimit(spec.parallelSize);
  await Promise.all(
    reviews.map((review) =>
      limit(async () => {
        if (ctx.signal.aborted || writeError || down.length > 0) {
          // Stopping, or a dependency is down: leave the rest for the rerun.
          down.push({ review, error: ctx.signal.aborted ? ctx.signal.reason : (down[0]?.error ?? writeError?.error) });
          return;
        }
        try {
          const result = await spec.extract(review);
          buffer.push({ review, result });
          if (buffer.length >= deps.settings.WRITE_BATCH_SIZE) flush();
        } catch (error) {
          if (error instanceof MalformedAnswerError) malformed.push({ review, error });
          else if (isRefusal(error)) refused.push({ review, error });
          else if (dependencyOf(error)) down.push({ review, error });
          else own.push({ review, error });
        }
      }),
    ),
  );
  flush();
  await writes;
  if (writeError) throw writeError.error;

  // An answer that stayed malformed after its retry, or a refusal, is that review's problem, not the batch's.
  if (malformed.length > 0) {
    await markFailed(db, spec.stage, { ids: malformed.map((m) => m.review.id) }, errorText(malformed[0]!.error));
    out.failed += malformed.length;
  }
  for (const r of refused) await markRefused(db, spec.stage, { ids: [r.review.id] }, errorText(r.error));
  out.failed += refused.length;
  out.refused = refused.length;
  // A dependency down: the runner holds the message and reruns it; what is done is skipped then.
  const outage = down.find((d) => dependencyOf(d.error));
  if (outage) {
    out.retry = down.length + own.length;
    throw outage.error;
  }
  const retry = [...down, ...own];
  if (retry.length > 0) {
    const message = errorText(retry[0]!.error);
    if (ctx.isLastDelivery) {
      await markFailed(db, spec.stage, { ids: retry.map((t) => t.review.id) }, message);
      out.failed += retry.length;
    } else {
      out.retry = retry.length;
      throw new TransientError(`${spec.stage} ${job.asin}: ${retry.length} of ${reviews.length} reviews to retry (${message})`, {
        cause: retry[0]!.error,
      });
    }
  }
  return out;
}

async function writeBatch<R>(deps: PipelineDeps, spec: AnalysisSpec<R>, batch: { review: AnalysisReview; result: R }[]) {
  return deps.db.$transaction(async (tx) => {
    const ids = await claimDone(tx, spec.stage, batch.map((b) => b.review.id));
    const rows = ids.size ? await spec.insert(tx, batch.filter((b) => ids.has(b.review.id))) : 0;
    return { claimed: ids.size, rows };
  });
}
