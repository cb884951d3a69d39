import type { HandlerContext } from '@voc/messaging';

/**
 * What a stage handler uses of the runner's context: the abort signal, the
 * last-delivery flag, and (under a runner with a dependency gate) the outage
 * retry for writes whose inputs must not be thrown away.
 */
export type StageContext = Pick<HandlerContext, 'signal' | 'isLastDelivery'> & Partial<Pick<HandlerContext, 'retryOnOutage'>>;

/** Runs `fn` through the runner's outage retry when there is one (else once). */
export function retrying<T>(ctx: StageContext, fn: () => Promise<T>): Promise<T> {
  return ctx.retryOnOutage ? ctx.retryOnOutage(fn) : fn();
}
