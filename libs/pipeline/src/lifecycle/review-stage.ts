/**
 * A review's status at each stage (translate, insight, theme), and the only
 * code that changes it. Every change is one conditional UPDATE, so racing
 * writers (a redelivery, an overlapping sweeper re-publish) cannot move a
 * review backwards: a review is turned `done` at most once, and `done` is
 * final.
 *
 * | from              | to      | when                                                        | function          |
 * |-------------------|---------|-------------------------------------------------------------|-------------------|
 * | pending, queued   | queued  | its message is published (queued_at = now: the generation) | `markQueued`      |
 * | queued            | pending | analysis without a learned model: wait for learning        | `parkQueued`      |
 * | not done          | done    | its results are written (same transaction)                  | `claimDone`       |
 * | not done          | failed  | given up: its own failure on the last delivery, a refusal   | `markFailed`      |
 * | (unchanged)       |         | a failed attempt to retry later (attempts + 1, last error)  | `recordAttempt`   |
 *
 * `markRefused` is `markFailed` plus `refused_reason`: the provider refused
 * the text itself, so learning samples leave the review out too.
 */
import { Prisma, type PrismaClient } from '@voc/db';

export type ReviewStage = 'translate' | 'insight' | 'theme';
export type StageStatus = 'pending' | 'queued' | 'done' | 'failed';

/** The transitions above, as data (the README's table; `canMove` checks a pair). */
export const STAGE_TRANSITIONS: Readonly<Record<StageStatus, readonly StageStatus[]>> = Object.freeze({
  pending: ['queued', 'done', 'failed'],
  queued: ['queued', 'pending', 'done', 'failed'],
  failed: ['done'],
  done: [],
});

export function canMove(from: StageStatus, to: StageStatus): boolean {
  return STAGE_TRANSITIONS[from].includes(to);
}

/** Which reviews: by primary key, or by Amazon review id within a product. */
export type ReviewKeys = { ids: readonly number[] } | { asin: string; reviewIds: readonly string[] };

type Db = PrismaClient | Prisma.TransactionClient;

const col = (stage: ReviewStage, suffix: 'status' | 'queued_at' | 'done_at' | 'attempts' | 'last_error') => Prisma.raw(`${stage}_${suffix}`);

function where(keys: ReviewKeys): Prisma.Sql {
  return 'ids' in keys
    ? Prisma.sql`id = ANY(${[...keys.ids]}::int[])`
    : Prisma.sql`asin = ${keys.asin} AND review_id = ANY(${[...keys.reviewIds]}::text[])`;
}

/** pending|queued → queued, queued_at = now (published). Returns the rows changed. */
export function markQueued(db: Db, stage: ReviewStage, keys: ReviewKeys): Promise<number> {
  const status = col(stage, 'status');
  return db.$executeRaw`
    UPDATE reviews SET ${status} = 'queued', ${col(stage, 'queued_at')} = now(), updated_at = now()
    WHERE ${where(keys)} AND ${status} IN ('pending', 'queued')`;
}

/** queued → pending: the product has no model to analyse with yet; learning releases them. */
export function parkQueued(db: Db, stage: ReviewStage, keys: ReviewKeys): Promise<number> {
  const status = col(stage, 'status');
  return db.$executeRaw`
    UPDATE reviews SET ${status} = 'pending', updated_at = now()
    WHERE ${where(keys)} AND ${status} = 'queued'`;
}

/** not done → done, in the transaction that writes the results; returns the ids it claimed (only those get results). */
export async function claimDone(tx: Db, stage: ReviewStage, ids: readonly number[]): Promise<Set<number>> {
  const status = col(stage, 'status');
  const attempts = col(stage, 'attempts');
  const claimed = await tx.$queryRaw<{ id: number }[]>`
    UPDATE reviews SET ${status} = 'done', ${col(stage, 'done_at')} = now(), ${attempts} = ${attempts} + 1,
      ${col(stage, 'last_error')} = NULL, updated_at = now()
    WHERE id = ANY(${[...ids]}::int[]) AND ${status} <> 'done'
    RETURNING id`;
  return new Set(claimed.map((c) => c.id));
}

/**
 * not done → failed, one more attempt, the error kept. A review already done
 * is left alone: a late failure of an overlapping message must not undo a success.
 */
export function markFailed(db: Db, stage: ReviewStage, keys: ReviewKeys, error: string): Promise<number> {
  const status = col(stage, 'status');
  const attempts = col(stage, 'attempts');
  return db.$executeRaw`
    UPDATE reviews SET ${status} = 'failed', ${attempts} = ${attempts} + 1, ${col(stage, 'last_error')} = ${error}, updated_at = now()
    WHERE ${where(keys)} AND ${status} <> 'done'`;
}

/** The provider refused the review's text: failed at this stage for good, and left out of learning samples. */
export async function markRefused(db: Db, stage: ReviewStage, keys: ReviewKeys, reason: string): Promise<number> {
  await db.$executeRaw`UPDATE reviews SET refused_reason = ${reason}, updated_at = now() WHERE ${where(keys)}`;
  return markFailed(db, stage, keys, `refused by the provider: ${reason}`);
}

/** A failed attempt that will be retried: attempts + 1 and the error, status unchanged. */
export function recordAttempt(db: Db, stage: ReviewStage, keys: ReviewKeys, error: string): Promise<number> {
  const attempts = col(stage, 'attempts');
  return db.$executeRaw`
    UPDATE reviews SET ${attempts} = ${attempts} + 1, ${col(stage, 'last_error')} = ${error}, updated_at = now()
    WHERE ${where(keys)} AND ${col(stage, 'status')} <> 'done'`;
}
