/**
 * How many LLM calls one process keeps open (issue 12 item 1): the pure
 * sizing rule, applied once per tick by CallSlots.
 *
 * The fleet's budget is spent fully when the limiter always has callers to
 * reserve for. A fixed cap cannot do that at every provider latency: at 3 s
 * and 200 RPS, Little's law wants ~600 calls open, at 0.3 s ~60. So the
 * number of calls a process lets through to the limiter follows what the
 * limiter says:
 *
 * - callers queue at the limiter (more than `2 × queueTarget`): the budget
 *   binds, not concurrency; more calls would only wait there holding
 *   messages and memory. Shrink towards what is at the provider plus the
 *   queue target, at most by SHRINK_STEP per tick.
 * - work waits for a slot, or every slot is busy, and the limiter has few
 *   callers (≤ queueTarget): concurrency binds. Grow by GROW_STEP per tick.
 * - otherwise hold.
 *
 * "Queue at the limiter" is its backlog when the limiter tells it: callers
 * with no slot placed for them (the schedule is full within their horizon).
 * A caller holding a slot only waits for its time, a round trip or two
 * ahead: on a busy machine that is 50–150 ms, as many callers as a tenth of
 * a second of grants, and counting them held the fleet at half the budget
 * for the first ~10 s of bench:pipeline while the schedule had room.
 *
 * The queue target is what the limiter must have waiting to reserve ahead
 * of its grants: QUEUE_AHEAD_S of this process's grant rate, at least
 * MIN_QUEUE. Floor and ceiling bound it (the ceiling is the memory-safe
 * one); an SRE's CONCURRENCY × PARALLEL_SIZE caps stay caps on top.
 */

/** What one tick saw. */
export interface SizingSample {
  /** The current limit. */
  limit: number;
  /** Calls holding a slot: waiting for the limiter, or at the provider. */
  active: number;
  /** Calls holding a slot and waiting for the limiter's grant. */
  atLimiter: number;
  /** Of this process's callers at the limiter, those with no slot placed yet (RateLimiter.backlog()); unknown: atLimiter counts. */
  backlog?: number;
  /** Calls waiting for a slot. */
  queued: number;
  /** Grants per second this process got over the tick. */
  grantRate: number;
}

export interface SizingBounds {
  floor: number;
  ceiling: number;
}

export const GROW_STEP = 1.25;
export const SHRINK_STEP = 0.8;
export const QUEUE_AHEAD_S = 0.1;
export const MIN_QUEUE = 2;

/** Callers the limiter should have waiting at this grant rate. */
export function queueTarget(grantRate: number): number {
  return Math.max(MIN_QUEUE, Math.ceil(grantRate * QUEUE_AHEAD_S));
}

export type SizingDecision = 'grow' | 'shrink' | 'hold';

/** The next limit, and why. */
export function nextLimit(s: SizingSample, b: SizingBounds): { limit: number; decision: SizingDecision } {
  const clamp = (n: number) => Math.min(b.ceiling, Math.max(b.floor, Math.round(n)));
  const target = queueTarget(s.grantRate);
  const queue = s.backlog ?? s.atLimiter;
  if (queue > 2 * target) {
    const atProvider = Math.max(0, s.active - s.atLimiter);
    const limit = clamp(Math.max(atProvider + target, s.limit * SHRINK_STEP));
    return { limit: Math.min(limit, clamp(s.limit)), decision: limit < s.limit ? 'shrink' : 'hold' };
  }
  const wanting = s.queued > 0 || s.active >= s.limit;
  if (wanting && queue <= target) {
    const limit = clamp(Math.max(s.limit + 1, Math.ceil(s.limit * GROW_STEP)));
    return { limit, decision: limit > s.limit ? 'grow' : 'hold' };
  }
  return { limit: clamp(s.limit), decision: 'hold' };
}
