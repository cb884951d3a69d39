/**
 * The sweeper: the seeds' periodic beat tasks ("check pending translations"
 * every 15 s). Work pending too long at any stage is published again: rows
 * stored but never handed over, messages lost or dead-lettered, learning
 * stuck, reports never built, and small products whose uploads went quiet
 * before they reached LEARN_MIN_REVIEWS. Re-publishing is safe because every
 * writer turns a row `done` at most once; to avoid needless duplicate LLM
 * calls, `queued` work is only considered lost when its queue has nothing
 * pending or in flight (else after SWEEP_HARD_STALE_MS). One process of the
 * fleet sweeps per interval (a Redis lock).
 */
import type Redis from 'ioredis';
import type { JetStreamManager } from 'nats';
import { Counter, type Registry } from 'prom-client';
import { JS_ERR, jsErrorCode, publish, QUEUES, type QueueName } from '@voc/messaging';
import type { PipelineDeps } from './deps';
import { enqueueAnalysis, enqueueBullets, enqueueTranslation, requestLearning } from './handover';

export interface SweeperOptions {
  intervalMs: number;
  /** Age after which work is re-published when its queue is idle. */
  staleMs: number;
  /** Age after which `queued` work is re-published even when its queue is busy. */
  hardStaleMs: number;
  /** Rows looked at per stage and sweep. */
  maxRows?: number;
}

export interface SweepResult {
  skipped?: 'not-leader';
  translate: number;
  insight: number;
  theme: number;
  learning: number;
  bullets: number;
  reports: number;
}

const LOCK_KEY = 'voc:sweeper:lock';

export class Sweeper {
  readonly name = 'sweeper';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly requeued: Counter;

  constructor(
    private readonly deps: PipelineDeps & { redis: Redis; jsm: JetStreamManager },
    private readonly opts: SweeperOptions,
    registry?: Registry,
  ) {
    this.requeued = new Counter({
      name: 'voc_sweeper_requeued_total',
      help: 'Work re-published by the sweeper, by stage',
      labelNames: ['stage'],
      registers: registry ? [registry] : [],
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweepOnce()
        .catch((err) => this.deps.log.error({ err }, 'sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; returns what it re-published. `force` skips the leader lock (tests, operators). */
  async sweepOnce(force = false): Promise<SweepResult> {
    const out: SweepResult = { translate: 0, insight: 0, theme: 0, learning: 0, bullets: 0, reports: 0 };
    if (!force) {
      const got = await this.deps.redis.set(LOCK_KEY, String(process.pid), 'PX', Math.max(1000, this.opts.intervalMs - 100), 'NX');
      if (got !== 'OK') return { ...out, skipped: 'not-leader' };
    }
    const { db } = this.deps;
    const now = Date.now();
    const suffix = `sweep-${now}`;
    const limit = this.opts.maxRows ?? 5000;
    const cutoff = async (queue: QueueName) => new Date(now - ((await this.isIdle(queue)) ? this.opts.staleMs : this.opts.hardStaleMs));
    const stale = new Date(now - this.opts.staleMs);

    // Translation: stored but never handed over, or handed over and lost.
    const tCut = await cutoff('TRANSLATE');
    const toTranslate = await db.review.findMany({
      where: {
        OR: [
          { translateStatus: 'pending', createdAt: { lt: stale } },
          { translateStatus: 'queued', translateQueuedAt: { lt: tCut } },
        ],
      },
      select: { asin: true, reviewId: true, body: true, rating: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    for (const [asin, reviews] of groupBy(toTranslate, (r) => r.asin)) {
      await enqueueTranslation(this.deps, asin, reviews, { msgIdSuffix: suffix });
      out.translate += reviews.length;
    }

    // Insight and theme of learned products (unlearned ones wait for learning, by design).
    for (const stage of ['insight', 'theme'] as const) {
      const cut = await cutoff(stage === 'insight' ? 'INSIGHT' : 'THEME');
      const rows = await db.review.findMany({
        where: {
          product: { learningVersion: { gt: 0 } },
          OR: [
            { [`${stage}Status`]: 'pending', createdAt: { lt: stale } },
            { [`${stage}Status`]: 'queued', [`${stage}QueuedAt`]: { lt: cut } },
          ],
        },
        select: { asin: true, reviewId: true, product: { select: { learningVersion: true } } },
        orderBy: { id: 'asc' },
        take: limit,
      });
      for (const [asin, reviews] of groupBy(rows, (r) => r.asin)) {
        await enqueueAnalysis(this.deps, stage, asin, reviews[0]!.product.learningVersion, reviews.map((r) => r.reviewId), { msgIdSuffix: suffix });
        out[stage] += reviews.length;
      }
    }

    // Small products whose uploads went quiet: learn from what arrived.
    const quiet = await db.product.findMany({
      where: { learningState: 'pending', reviewCount: { gt: 0 }, lastUploadAt: { lt: new Date(now - this.deps.settings.LEARN_QUIET_MS) } },
      select: { asin: true },
      take: limit,
    });
    for (const p of quiet) if (await requestLearning(this.deps, p.asin, 'quiet')) out.learning++;

    // Learning jobs lost or stuck: supersede them with a new job.
    const lCut = await cutoff('LEARNING');
    const stuck = await db.learningJob.findMany({
      where: { OR: [{ status: 'queued', createdAt: { lt: lCut } }, { status: 'running', startedAt: { lt: lCut } }] },
      select: { id: true, asin: true },
      take: limit,
    });
    for (const j of stuck) {
      await db.learningJob.update({ where: { id: j.id }, data: { status: 'failed', error: 'superseded by the sweeper', finishedAt: new Date() } });
      if (await requestLearning(this.deps, j.asin, 'sweeper')) out.learning++;
    }

    // Bullet points.
    const bCut = await cutoff('TRANSLATE');
    const bullets = await db.product.findMany({
      where: {
        OR: [
          { bulletsTranslateStatus: 'pending', updatedAt: { lt: stale } },
          { bulletsTranslateStatus: 'queued', bulletsTranslateQueuedAt: { lt: bCut } },
        ],
        NOT: { bulletPoints: { equals: [] } },
      },
      select: { asin: true },
      take: limit,
    });
    for (const p of bullets) {
      await enqueueBullets(this.deps, p.asin, { msgIdSuffix: suffix });
      out.bullets++;
    }

    // Reports whose message was lost.
    const rCut = await cutoff('REPORT');
    const reports = await db.report.findMany({
      where: { status: 'pending', OR: [{ queuedAt: { lt: rCut } }, { queuedAt: null, createdAt: { lt: rCut } }] },
      select: { id: true, asin: true },
      take: limit,
    });
    for (const r of reports) {
      await publish(this.deps.js, 'REPORT', { reportId: r.id, asin: r.asin }, { msgId: `report:${r.id}:${suffix}` });
      await db.report.update({ where: { id: r.id }, data: { queuedAt: new Date() } });
      out.reports++;
    }

    for (const [stage, n] of Object.entries(out)) if (typeof n === 'number' && n > 0) this.requeued.inc({ stage }, n);
    if (Object.values(out).some((n) => typeof n === 'number' && n > 0)) this.deps.log.info(out, 'sweeper re-published work');
    return out;
  }

  /** Nothing waiting or in flight on the queue's durable: its `queued` rows have lost their messages. */
  private async isIdle(queue: QueueName): Promise<boolean> {
    const q = QUEUES[queue];
    try {
      const info = await this.deps.jsm.consumers.info(q.stream, q.durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    } catch (err) {
      // No consumer yet: nothing can be consuming, so nothing is in flight.
      if (jsErrorCode(err) === JS_ERR.CONSUMER_NOT_FOUND) return true;
      throw new Error(`sweeper: cannot read consumer ${q.stream}/${q.durable}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}
