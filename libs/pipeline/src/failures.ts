import type { HandlerContext } from '@voc/messaging';
import { dependencyOf } from './outage';

/**
 * What a stage does when its work throws: on the message's last delivery it
 * records the failure on its rows (`record`) so the status is honest and the
 * sweeper does not retry forever; either way the caller rethrows, and the
 * runner retries or dead-letters the message. A dependency's outage is never
 * recorded: the runner holds the message until the dependency is back, so
 * it was not a failure of this work at all.
 */
export async function handleStageFailure(
  err: unknown,
  ctx: Pick<HandlerContext, 'isLastDelivery'>,
  record: (message: string) => Promise<void>,
): Promise<void> {
  if (!ctx.isLastDelivery || dependencyOf(err)) return;
  await record(errorText(err));
}

export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}
