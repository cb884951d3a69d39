import { Prisma, type PrismaClient } from '@voc/db';
import type { HandlerContext } from '@voc/messaging';

/**
 * What a stage does when its work throws: on the message's last delivery it
 * records the failure on its rows (`record`) so the status is honest and the
 * sweeper does not retry forever; either way the caller rethrows, and the
 * runner retries or dead-letters the message.
 */
export async function handleStageFailure(
  err: unknown,
  ctx: Pick<HandlerContext, 'isLastDelivery'>,
  record: (message: string) => Promise<void>,
): Promise<void> {
  if (!ctx.isLastDelivery) return;
  await record(errorText(err));
}

export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

/** The per-review stages whose status lives in `reviews.<stage>_status`. */
export type ReviewStage = 'translate' | 'insight' | 'theme';

/** Which reviews: by primary key, or by Amazon review id within a product. */
export type ReviewKeys = { ids: readonly number[] } | { asin: string; reviewIds: readonly string[] };

/**
 * Gives up on reviews at `stage`: status failed, one more attempt, the error
 * kept. A review already done is left alone (a late failure of an
 * overlapping message must not undo a success).
 */
export async function markReviewsFailed(db: PrismaClient, stage: ReviewStage, keys: ReviewKeys, error: string): Promise<void> {
  const status = Prisma.raw(`${stage}_status`);
  const attempts = Prisma.raw(`${stage}_attempts`);
  const lastError = Prisma.raw(`${stage}_last_error`);
  const which =
    'ids' in keys ? Prisma.sql`id = ANY(${[...keys.ids]}::int[])` : Prisma.sql`asin = ${keys.asin} AND review_id = ANY(${[...keys.reviewIds]}::text[])`;
  await db.$executeRaw`
    UPDATE reviews SET ${status} = 'failed', ${attempts} = ${attempts} + 1, ${lastError} = ${error}, updated_at = now()
    WHERE ${which} AND ${status} <> 'done'`;
}
