/**
 * The sweeper: the seeds' periodic beat tasks ("check pending translations"
 * every 15 s). Work pending too long at any stage is published again: rows
 * stored but never handed over, messages lost or dead-lettered, learning
 * jobs whose message was lost, failed products whose retry is due, reports
 * never built, and small products whose uploads went quiet before they
 * reached LEARN_MIN_REVIEWS (the rules are lifecycle's). Re-publishing is
 * safe because every writer turns a row `done` at most once; to avoid
 * needless duplicate LLM calls, `queued` work is only considered lost when
 * its queue has nothing pending or in flight (else after SWEEP_HARD_STALE_MS),
 * and message ids are deterministic (content + the rows' generation), so two
 * sweepers publishing the same work store one message.
 *
 * One process of the fleet sweeps per interval: a Redis lock holding a
 * random token, renewed while the sweep runs (a slow sweep keeps it), and
 * handed back by compare-and-set (Lua), so a process only ever extends or
 * releases its own lock. A sweep that loses its lock stops publishing.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { JetStreamManager } from 'nats';
import { Counter, type Registry } from 'prom-client';
import { bulletPointsOf } from '@voc/db';
import { JS_ERR, jsErrorCode, publish, QUEUES, type QueueName } from '@voc/messaging';
import type { PipelineDeps } from './deps';
import { enqueueAnalysis, enqueueBullets, enqueueTranslation } from './handover';
import { ANALYSABLE_STATES, learningDue, republishLearningJob, requestLearning } from './lifecycle';

export interface SweeperOptions {
  intervalMs: number;
  /** Age after which work is re-published when its queue is idle. */
  staleMs: number;
  /** Age after which `queued` work is re-published even when its queue is busy. */
  hardStaleMs: number;
  /** Rows looked at per stage and sweep. */
  maxRows?: number;
  /** How long the lock lives without renewal (default max(10 s, 2 × interval)); renewed every third of it. */
  lockTtlMs?: number;
}

export interface SweepResult {
  skipped?: 'not-leader';
  /** Set when the sweep lost its lock midway and stopped. */
  lostLock?: boolean;
  translate: number;
  insight: number;
  theme: number;
  learning: number;
  bullets: number;
  reports: number;
}

const LOCK_KEY = 'voc:sweeper:lock';

/**
 * KEYS[1] = lock, ARGV[1] = our token, ARGV[2] = ms: extend our lock to ms
 * from now, or delete it when ms is 0; 0 when the lock is not ours (any more).
 */
const RENEW_OR_RELEASE = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local ms = tonumber(ARGV[2])
if ms > 0 then return redis.call('pexpire', KEYS[1], ms) end
return redis.call('del', KEYS[1])`;

class LostLockError extends Error {}

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
    if (force) {
      await this.sweep(out, () => undefined);
      return this.report(out);
    }
    const { redis } = this.deps;
    const token = randomUUID();
    const ttl = this.opts.lockTtlMs ?? Math.max(10_000, 2 * this.opts.intervalMs);
    if ((await redis.set(LOCK_KEY, token, 'PX', ttl, 'NX')) !== 'OK') return { ...out, skipped: 'not-leader' };
    const started = Date.now();
    let lost = false;
    const renew = setInterval(() => {
      redis
        .eval(RENEW_OR_RELEASE, 1, LOCK_KEY, token, String(ttl))
        .then((ok) => {
          if (ok === 0) lost = true;
        })
        .catch((err: unknown) => this.deps.log.warn({ err }, 'sweeper: could not renew its lock'));
    }, Math.max(100, Math.floor(ttl / 3)));
    try {
      await this.sweep(out, () => {
        if (lost) throw new LostLockError('sweeper lock lost');
      });
    } catch (err) {
      if (!(err instanceof LostLockError)) throw err;
      out.lostLock = true;
      this.deps.log.warn(out, 'sweeper lost its lock midway: stopped (another process sweeps)');
    } finally {
      clearInterval(renew);
      // Keep the lock for the rest of the interval (one sweep per interval, fleet-wide), then let it go.
      const rest = this.opts.intervalMs - 100 - (Date.now() - started);
      await redis.eval(RENEW_OR_RELEASE, 1, LOCK_KEY, token, String(Math.max(0, rest))).catch(() => undefined);
    }
    return this.report(out);
  }

  private report(out: SweepResult): SweepResult {
    for (const [stage, n] of Object.entries(out)) if (typeof n === 'number' && n > 0) this.requeued.inc({ stage }, n);
    if (Object.values(out).some((n) => typeof n === 'number' && n > 0)) this.deps.log.info(out, 'sweeper re-published work');
    return out;
  }

  /** The sweep itself; `held()` throws once the lock is lost, and is called before every publication. */
  private async sweep(out: SweepResult, held: () => void): Promise<void> {
    const { db } = this.deps;
    const now = new Date();
    const limit = this.opts.maxRows ?? 5000;
    const cutoff = async (queue: QueueName) => new Date(now.getTime() - ((await this.isIdle(queue)) ? this.opts.staleMs : this.opts.hardStaleMs));
    const stale = new Date(now.getTime() - this.opts.staleMs);

    // Translation: stored but never handed over, or handed over and lost.
    const tCut = await cutoff('TRANSLATE');
    const toTranslate = await db.review.findMany({
      where: {
        OR: [
          { translateStatus: 'pending', createdAt: { lt: stale } },
          { translateStatus: 'queued', translateQueuedAt: { lt: tCut } },
        ],
      },
      select: { asin: true, reviewId: true, body: true, rating: true, translateQueuedAt: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    for (const [asin, reviews] of groupBy(toTranslate, (r) => r.asin)) {
      held();
      await enqueueTranslation(this.deps, asin, reviews);
      out.translate += reviews.length;
    }

    // Insight and theme of products with a model to analyse with (the others wait for learning, by design).
    for (const stage of ['insight', 'theme'] as const) {
      const cut = await cutoff(stage === 'insight' ? 'INSIGHT' : 'THEME');
      const rows = await db.review.findMany({
        where: {
          product: { learningVersion: { gt: 0 }, learningState: { in: [...ANALYSABLE_STATES] } },
          OR: [
            { [`${stage}Status`]: 'pending', createdAt: { lt: stale } },
            { [`${stage}Status`]: 'queued', [`${stage}QueuedAt`]: { lt: cut } },
          ],
        },
        select: { asin: true, reviewId: true, insightQueuedAt: true, themeQueuedAt: true, product: { select: { learningVersion: true } } },
        orderBy: { id: 'asc' },
        take: limit,
      });
      for (const [asin, reviews] of groupBy(rows, (r) => r.asin)) {
        held();
        const work = reviews.map((r) => ({ reviewId: r.reviewId, queuedAt: stage === 'insight' ? r.insightQueuedAt : r.themeQueuedAt }));
        await enqueueAnalysis(this.deps, stage, asin, reviews[0]!.product.learningVersion, work);
        out[stage] += reviews.length;
      }
    }

    // Learning the rule asks for: small products gone quiet, failed products whose retry is due,
    // and any product that should have been queued by ingest but was not.
    const s = this.deps.settings;
    const candidates = await db.product.findMany({
      where: {
        OR: [
          { learningState: 'pending', reviewCount: { gt: 0 }, lastUploadAt: { lt: new Date(now.getTime() - s.LEARN_QUIET_MS) } },
          { learningState: 'pending', reviewCount: { gte: s.LEARN_MIN_REVIEWS } },
          { learningState: 'failed', learningRetryAt: { lte: now } },
        ],
      },
      take: limit,
    });
    for (const p of candidates) {
      const reason = learningDue(p, s, now);
      if (!reason) continue;
      held();
      if (await requestLearning(this.deps, p.asin, reason)) out.learning++;
    }

    // Learning jobs whose message was lost (or dead-lettered): publish the same job again.
    const lCut = await cutoff('LEARNING');
    const lost = await db.learningJob.findMany({
      where: {
        OR: [
          { status: 'queued', OR: [{ publishedAt: null, createdAt: { lt: stale } }, { publishedAt: { lt: lCut } }] },
          // A running job republished lately (publishedAt) is not lost again until that is stale too.
          { status: 'running', startedAt: { lt: lCut }, OR: [{ publishedAt: null }, { publishedAt: { lt: lCut } }] },
        ],
      },
      select: { id: true, asin: true, reason: true, generation: true },
      take: limit,
    });
    for (const j of lost) {
      held();
      if (await republishLearningJob(this.deps, j)) out.learning++;
    }

    // Bullet points (failed ones, after their attempts, are left alone).
    const bCut = await cutoff('TRANSLATE');
    const bullets = await db.product.findMany({
      where: {
        OR: [
          { bulletsTranslateStatus: 'pending', updatedAt: { lt: stale } },
          { bulletsTranslateStatus: 'queued', bulletsTranslateQueuedAt: { lt: bCut } },
        ],
        NOT: { bulletPoints: { equals: [] } },
      },
      select: { asin: true, bulletPoints: true, bulletsTranslateQueuedAt: true },
      take: limit,
    });
    for (const p of bullets) {
      held();
      await enqueueBullets(this.deps, p.asin, bulletPointsOf(p), p.bulletsTranslateQueuedAt);
      out.bullets++;
    }

    // Reports whose message was lost.
    const rCut = await cutoff('REPORT');
    const reports = await db.report.findMany({
      where: { status: 'pending', OR: [{ queuedAt: { lt: rCut } }, { queuedAt: null, createdAt: { lt: rCut } }] },
      select: { id: true, asin: true, queuedAt: true },
      take: limit,
    });
    for (const r of reports) {
      held();
      await publish(this.deps.js, 'REPORT', { reportId: r.id, asin: r.asin }, { msgId: `report:${r.id}:${r.queuedAt?.getTime() ?? 0}` });
      await db.report.update({ where: { id: r.id }, data: { queuedAt: new Date() } });
      out.reports++;
    }
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
