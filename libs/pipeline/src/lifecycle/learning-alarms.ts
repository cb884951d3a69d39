/**
 * In-process alarms for the learning rule's timed reasons (`learningDueAt`):
 * a small product's `quiet` moment and a failed product's `retry`. Without
 * them such a product waited for the sweeper's next pass as well, up to
 * SWEEP_INTERVAL_MS more: in bench:pipeline the three products under
 * LEARN_MIN_REVIEWS were learned 45 s into every run, and the last 10 s of a
 * 2,000-review run spent no budget at all (issue 12, "learn wait").
 *
 * An alarm is only a hint. When it rings it reads the product again and asks
 * `requestLearning`, which queues a product at most once whoever asks; an
 * upload stored meanwhile by another process moves the moment, and the alarm
 * is set again. A process that stops or dies loses its alarms; the sweeper
 * still finds those products, as before.
 */
import type { PipelineDeps } from '../deps';
import { learningDue, learningDueAt, requestLearning, type LearningFacts } from './learning';

/** Products with an alarm at most; beyond it the sweeper's pass is their alarm (bounds memory). */
const DEFAULT_MAX_ALARMS = 10_000;

export class LearningAlarms {
  readonly name = 'learning alarms';
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ringing = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly max = DEFAULT_MAX_ALARMS,
  ) {}

  /** Products with an alarm set. */
  get size(): number {
    return this.timers.size;
  }

  /**
   * Sets (or moves) the alarm of `asin` to the moment the rule makes
   * `product` due by time alone; clears it when nothing timed is ahead.
   */
  arm(asin: string, product: LearningFacts): void {
    if (this.stopped) return;
    const at = learningDueAt(product, this.deps.settings);
    const old = this.timers.get(asin);
    if (old) clearTimeout(old);
    this.timers.delete(asin);
    if (!at || this.timers.size >= this.max) return;
    // +5 ms: the rule compares with `>=`; a timer may fire a hair early against Date.
    const timer = setTimeout(() => this.ring(asin), Math.max(0, at.getTime() - Date.now()) + 5);
    timer.unref();
    this.timers.set(asin, timer);
  }

  start(): void {
    // Alarms are set by arm(); nothing runs until then.
  }

  /** Clears every alarm and waits for the ones ringing now. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.ringing]);
  }

  private ring(asin: string): void {
    this.timers.delete(asin);
    if (this.stopped) return;
    const run = this.check(asin).finally(() => this.ringing.delete(run));
    this.ringing.add(run);
  }

  private async check(asin: string): Promise<void> {
    try {
      const product = await this.deps.db.product.findUnique({
        where: { asin },
        select: { learningState: true, reviewCount: true, learnedReviewCount: true, lastUploadAt: true, learningRetryAt: true },
      });
      if (!product) return;
      const reason = learningDue(product, this.deps.settings);
      if (reason) await requestLearning(this.deps, asin, reason);
      else this.arm(asin, product);
    } catch (err) {
      // PostgreSQL or NATS away: the sweeper queues it once they are back.
      this.deps.log.warn({ asin, err: (err as Error).message }, 'learning alarm: left to the sweeper');
    }
  }
}
