/**
 * Why the fleet left budget unused in a second: each second in which the
 * calls that reached llm-sim used less than 95 % of the request budget (and
 * of the token budget, when there is one) gets one cause, checked in this
 * order (the first that holds wins):
 *
 *   before LLM work  no LLM call yet: uploads and ingest still producing the first work
 *   429 pause        the provider answered 429, or a process paused the fleet
 *   ramp             the limiter runs below its limit (cold-start ramp, also after the fleet was idle,
 *                    or a 429 cut: budget factor < 0.99 in a process that got grants in the second)
 *   limiter          callers waited at the limiter (≥ 10) while the budget went unused:
 *                    the limiter itself lost slots (late timers, margins)
 *   caps             LLM work waits in JetStream and every stage that has some is at its
 *                    concurrency cap (calls in flight + waiting ≥ 90 % of CONCURRENCY × PARALLEL_SIZE)
 *   below cap        LLM work waits in JetStream but a stage that has some runs below its cap
 *                    (messages held by a service but not started: a message's last calls,
 *                    fetch batches, CPU or database)
 *   tail             nothing waits in JetStream and one product is left
 *   learning         nothing waits; a product still to analyse is being learned
 *                    (analysis waits for the product's model)
 *   learn wait       nothing waits; a product still to analyse is not learned and no learning
 *                    runs (fewer than LEARN_MIN_REVIEWS: it waits LEARN_QUIET_MS)
 *   drain            nothing waits in JetStream; the calls in flight are the last ones
 */
import { LLM_QUEUES, LLM_SERVICES, QUEUE_OF, type LlmService, type Sample } from './sampler';

export const CAUSES = ['before LLM work', '429 pause', 'ramp', 'limiter', 'caps', 'below cap', 'tail', 'learning', 'learn wait', 'drain'] as const;
export type Cause = (typeof CAUSES)[number];

export interface Second {
  /** Seconds since the first upload began (the end of the interval). */
  t: number;
  /** The interval's length in seconds (1 unless a sample came late). */
  dt: number;
  calls: number;
  tokens: number;
  /** max(calls ÷ request budget, tokens ÷ token budget) of the interval. */
  used: number;
  inFlight: number;
  waiting: number;
  queued: number;
  cause: Cause | 'saturated';
}

export interface CauseContext {
  rps: number;
  /** Tokens per second of the fleet's token limit; 0 = none. */
  tokensPerS: number;
  /** Per service: the most LLM calls it may have at once (CONCURRENCY × PARALLEL_SIZE). */
  caps: Record<LlmService, number>;
  /** Reviews per product, in the order of Sample.products. */
  sizes: readonly number[];
}

export function productDone(p: Sample['products'][number], size: number): boolean {
  // null: undefined as JSON keeps it (--reanalyse).
  return p != null && p.insights + p.failed >= size && p.themes + p.failed >= size;
}

export function classify(prev: Sample, cur: Sample, ctx: CauseContext): Second {
  const dt = Math.max(0.2, (cur.t - prev.t) / 1000);
  const calls = cur.sim.requests - prev.sim.requests;
  const tokens = cur.sim.counted - prev.sim.counted;
  const used = Math.max(calls / dt / ctx.rps, ctx.tokensPerS > 0 ? tokens / dt / ctx.tokensPerS : 0);
  const svc = (n: LlmService) => cur.services[n];
  const inFlight = LLM_SERVICES.reduce((s, n) => s + (svc(n)?.inFlight ?? 0), 0);
  const waiting = LLM_SERVICES.reduce((s, n) => s + (svc(n)?.waiting ?? 0), 0);
  const pendingOf = (q: (typeof LLM_QUEUES)[number]) => cur.queues[q]?.pending ?? 0;
  const queued = LLM_QUEUES.reduce((s, q) => s + pendingOf(q), 0);
  const base = { t: cur.t / 1000, dt, calls, tokens, used, inFlight, waiting, queued };
  const cause = ((): Cause | 'saturated' => {
    if (used >= 0.95) return 'saturated';
    if (cur.sim.requests === 0) return 'before LLM work';
    const paused = LLM_SERVICES.some((n) => (svc(n)?.pauses ?? 0) > (prev.services[n]?.pauses ?? 0));
    if (paused || cur.sim.rejected429 > prev.sim.rejected429) return '429 pause';
    // Only the processes that got grants in the interval: an idle one's gauge keeps what it last saw.
    const granting = LLM_SERVICES.filter((n) => (svc(n)?.grants ?? 0) > (prev.services[n]?.grants ?? 0));
    if (granting.some((n) => (svc(n)?.budgetFactor ?? 1) < 0.99)) return 'ramp';
    if (waiting >= 10) return 'limiter';
    const withWork = LLM_SERVICES.filter((n) => pendingOf(QUEUE_OF[n]) > 0);
    if (withWork.length > 0) {
      const atCap = withWork.every((n) => (svc(n)?.inFlight ?? 0) + (svc(n)?.waiting ?? 0) >= 0.9 * ctx.caps[n]);
      return atCap ? 'caps' : 'below cap';
    }
    const open = cur.products.map((p, i) => (productDone(p, ctx.sizes[i]!) ? -1 : i)).filter((i) => i >= 0);
    if (open.length === 1) return 'tail';
    const unlearned = open.filter((i) => !cur.products[i]?.learned);
    if (unlearned.length > 0) {
      const learning = (svc('learning-svc')?.inFlight ?? 0) > 0 || (cur.queues.LEARNING?.inFlight ?? 0) > 0;
      return learning ? 'learning' : 'learn wait';
    }
    return 'drain';
  })();
  return { ...base, cause };
}

/** Seconds per cause (only the causes that occurred), each interval counted by its length. */
export function tally(seconds: readonly Second[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of seconds) out[s.cause] = (out[s.cause] ?? 0) + s.dt;
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]!);
  return out;
}
