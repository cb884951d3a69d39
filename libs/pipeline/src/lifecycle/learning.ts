/**
 * A product's learning state, the rule "when is a product learned or
 * relearned", and the only code that changes either. Ingest, the sweeper,
 * the learning handler and the gateway (through `requestLearning`) all call
 * these. The timed reasons (`quiet`, `retry`) are due at `learningDueAt`:
 * ingest-svc sets an alarm there (learning-alarms.ts), the sweeper backs it up.
 *
 * | from              | to       | when                                                                       |
 * |-------------------|----------|----------------------------------------------------------------------------|
 * | pending           | queued   | `new`: LEARN_MIN_REVIEWS stored; `quiet`: fewer, uploads quiet LEARN_QUIET_MS (alarm) |
 * | learned           | queued   | `grown`: RELEARN_GROWTH_FACTOR × the reviews it was learned from (+ RELEARN_MIN_NEW_REVIEWS) |
 * | failed            | queued   | `retry`: at `learningRetryAt` (backoff LEARN_RETRY_BASE_MS × 2^(failures−1), ≤ LEARN_RETRY_MAX_MS) |
 * | any               | queued   | `manual` (POST …/learn), unless a job is queued or running: that job is the answer |
 * | queued            | learning | a worker starts the job                                                     |
 * | learning          | learned  | the model is stored (new learning version; failures reset)                  |
 * | learning          | failed   | the run failed on its own (malformed answers, nothing to sample…)          |
 *
 * A job row and the state change are written in one transaction before the
 * LEARNING message is published: a crash in between leaves a queued job
 * without a message, which the sweeper publishes again (`republishLearningJob`:
 * one conditional update claims the next generation and marks the job
 * published, the message id carries the generation, so two sweepers store one),
 * never a product `queued` without a job.
 *
 * Analysis uses `analysisVersion`: the learned model, and while a relearn is
 * queued or running nothing (new reviews wait for the new version); a failed
 * relearn keeps serving the previous model until its retry succeeds.
 */
import { randomUUID } from 'node:crypto';
import type { LearningReason, Prisma, PrismaClient, Product } from '@voc/db';
import { publish } from '@voc/messaging';
import type { PipelineDeps } from '../deps';
import type { PipelineSettings } from '../settings';

export type LearningState = 'pending' | 'queued' | 'learning' | 'learned' | 'failed';

/** The states each reason may move to `queued` (the table above). */
export const LEARNABLE_FROM: Readonly<Record<LearningReason, readonly LearningState[]>> = Object.freeze({
  new: ['pending'],
  quiet: ['pending'],
  grown: ['learned'],
  retry: ['failed'],
  manual: ['pending', 'queued', 'learning', 'learned', 'failed'],
  // Lost jobs are published again as they are (republishLearningJob); no new job comes from the sweeper.
  sweeper: [],
});

export type LearningFacts = Pick<Product, 'learningState' | 'reviewCount' | 'learnedReviewCount' | 'lastUploadAt' | 'learningRetryAt'>;
type LearningSettings = Pick<PipelineSettings, 'LEARN_MIN_REVIEWS' | 'LEARN_QUIET_MS' | 'RELEARN_GROWTH_FACTOR' | 'RELEARN_MIN_NEW_REVIEWS'>;

/** The rule: why `product` should be (re)learned now, or undefined. */
export function learningDue(product: LearningFacts, s: LearningSettings, now = new Date()): LearningReason | undefined {
  // The timed reasons (quiet, retry) are due from learningDueAt on: one definition of their moment.
  const reached = () => {
    const at = learningDueAt(product, s);
    return at !== undefined && now.getTime() >= at.getTime();
  };
  switch (product.learningState) {
    case 'pending':
      if (product.reviewCount >= s.LEARN_MIN_REVIEWS) return 'new';
      return reached() ? 'quiet' : undefined;
    case 'learned':
      return product.reviewCount >= product.learnedReviewCount * s.RELEARN_GROWTH_FACTOR &&
        product.reviewCount - product.learnedReviewCount >= s.RELEARN_MIN_NEW_REVIEWS
        ? 'grown'
        : undefined;
    case 'failed':
      return reached() ? 'retry' : undefined;
    default:
      return undefined;
  }
}

/**
 * When the rule's timed reasons make `product` due without another upload:
 * a small pending product at its `quiet` moment (its last upload +
 * LEARN_QUIET_MS), a failed one at its `retry`. Undefined when only an event
 * (more reviews, a manual request) can make it due.
 */
export function learningDueAt(product: LearningFacts, s: Pick<LearningSettings, 'LEARN_MIN_REVIEWS' | 'LEARN_QUIET_MS'>): Date | undefined {
  switch (product.learningState) {
    case 'pending':
      return product.reviewCount > 0 && product.reviewCount < s.LEARN_MIN_REVIEWS && product.lastUploadAt
        ? new Date(product.lastUploadAt.getTime() + s.LEARN_QUIET_MS)
        : undefined;
    case 'failed':
      return product.learningRetryAt ?? undefined;
    default:
      return undefined;
  }
}

/**
 * The states in which a product's current version (if any) is used for
 * analysis: learned, and failed (a failed relearn keeps the previous model
 * until its retry succeeds). While queued or learning, reviews wait.
 */
export const ANALYSABLE_STATES: readonly LearningState[] = ['learned', 'failed'];

/** The learning version analysis may use now, or undefined: the reviews wait for learning. */
export function analysisVersion(product: Pick<Product, 'learningState' | 'learningVersion'>): number | undefined {
  if (product.learningVersion <= 0) return undefined;
  return ANALYSABLE_STATES.includes(product.learningState) ? product.learningVersion : undefined;
}

/** When a product that failed `failures` times in a row is tried again. */
export function learningRetryDelayMs(failures: number, s: Pick<PipelineSettings, 'LEARN_RETRY_BASE_MS' | 'LEARN_RETRY_MAX_MS'>): number {
  return Math.min(s.LEARN_RETRY_MAX_MS, s.LEARN_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
}

export interface LearningRequest {
  jobId: string;
  /** True when a job was already queued or running (manual requests answer with it). */
  existing: boolean;
}

/**
 * Queues learning of `asin` for `reason` when the state allows it: job row
 * (marked published) and state change in one transaction, then the message. Of several
 * processes deciding at once, exactly one queues it (a conditional update);
 * the others get undefined. A manual request while a job is queued or
 * running answers with that job. Undefined also for an unknown product.
 */
export async function requestLearning(deps: PipelineDeps, asin: string, reason: LearningReason): Promise<LearningRequest | undefined> {
  const decided = await deps.db.$transaction(async (tx) => {
    const active = await tx.learningJob.findFirst({
      where: { asin, status: { in: ['queued', 'running'] } },
      orderBy: { createdAt: 'desc' },
      select: { id: true },
    });
    if (active) return reason === 'manual' ? { jobId: active.id, existing: true } : undefined;
    const won = await tx.product.updateMany({
      where: { asin, learningState: { in: [...LEARNABLE_FROM[reason]] } },
      data: { learningState: 'queued', learningRetryAt: null },
    });
    if (won.count === 0) return undefined;
    const jobId = randomUUID();
    // Marked published with the job, before the message goes out (as
    // republishLearningJob claims a generation): a sweeper never takes a job
    // between its publication and a later mark for a lost one and publishes it
    // twice. A failed publication is recovered once this publishedAt is stale.
    await tx.learningJob.create({ data: { id: jobId, asin, reason, publishedAt: new Date() } });
    return { jobId, existing: false };
  });
  if (!decided || decided.existing) return decided;
  await publishLearningMessage(deps, { id: decided.jobId, asin, reason, generation: 0 });
  deps.log.info({ asin, reason, jobId: decided.jobId }, 'learning queued');
  return decided;
}

interface JobRef {
  id: string;
  asin: string;
  reason: LearningReason;
  generation: number;
}

/** The message id of a job's `generation`-th publication. */
export function learningMsgId(jobId: string, generation: number): string {
  return `learning:${jobId}:${generation}`;
}

async function publishLearningMessage(deps: PipelineDeps, job: JobRef): Promise<void> {
  await publish(deps.js, 'LEARNING', { jobId: job.id, asin: job.asin, reason: job.reason }, { msgId: learningMsgId(job.id, job.generation) });
}

/**
 * Publishes a queued or running job again (its message was lost, or dead-
 * lettered). One conditional update claims the next generation AND marks the
 * job published: a sweeper that read the job before it loses the update, one
 * that reads it after sees it as just published (not lost). The message id
 * carries the generation. So a generation is published by one process only,
 * and a job once per sweep window, however many sweepers run.
 *
 * (Marking after publishing, as before, let a second sweeper read the new
 * generation with the old publishedAt in between, claim the generation after
 * it and publish a second message: two LEARNING runs of one job.)
 */
export async function republishLearningJob(deps: PipelineDeps, job: JobRef): Promise<boolean> {
  const generation = job.generation + 1;
  const won = await deps.db.learningJob.updateMany({
    where: { id: job.id, generation: job.generation, status: { in: ['queued', 'running'] } },
    data: { generation, publishedAt: new Date() },
  });
  if (won.count === 0) return false;
  // A failed publication leaves the claim: the job is picked up again once publishedAt is stale.
  await publishLearningMessage(deps, { ...job, generation });
  return true;
}

/**
 * A worker takes a job: queued|running → running (one more attempt), the
 * product → learning. 'skip' for a job that is done or was given up (a
 * late redelivery, or a job an older version superseded).
 */
export async function beginLearning(db: PrismaClient, job: { jobId: string; asin: string; reason: LearningReason }): Promise<'run' | 'skip'> {
  const row = await db.learningJob.upsert({
    where: { id: job.jobId },
    create: { id: job.jobId, asin: job.asin, reason: job.reason },
    update: {},
  });
  if (row.status === 'done' || row.status === 'failed') return 'skip';
  await db.$transaction([
    db.learningJob.update({ where: { id: job.jobId }, data: { status: 'running', attempts: { increment: 1 }, startedAt: new Date() } }),
    db.product.update({ where: { asin: job.asin }, data: { learningState: 'learning' } }),
  ]);
  return 'run';
}

/** learning → learned, inside the transaction that stores the model. */
export async function completeLearning(
  tx: Prisma.TransactionClient,
  job: { jobId: string; asin: string },
  learned: { version: number; reviewCount: number },
): Promise<void> {
  await tx.product.update({
    where: { asin: job.asin },
    data: {
      learningState: 'learned',
      learnedAt: new Date(),
      learnedReviewCount: learned.reviewCount,
      learningFailures: 0,
      learningRetryAt: null,
      learningError: null,
    },
  });
  await tx.learningJob.update({
    where: { id: job.jobId },
    data: { status: 'done', learningVersion: learned.version, finishedAt: new Date(), error: null },
  });
}

/** learning → failed, retried by itself at a growing delay; returns when. */
export async function failLearning(
  db: PrismaClient,
  job: { jobId: string; asin: string },
  error: string,
  s: Pick<PipelineSettings, 'LEARN_RETRY_BASE_MS' | 'LEARN_RETRY_MAX_MS'>,
): Promise<Date> {
  return db.$transaction(async (tx) => {
    const p = await tx.product.update({ where: { asin: job.asin }, data: { learningFailures: { increment: 1 } } });
    const retryAt = new Date(Date.now() + learningRetryDelayMs(p.learningFailures, s));
    await tx.product.update({ where: { asin: job.asin }, data: { learningState: 'failed', learningRetryAt: retryAt, learningError: error } });
    await tx.learningJob.update({ where: { id: job.jobId }, data: { status: 'failed', error, finishedAt: new Date() } });
    return retryAt;
  });
}
