import { Sweeper } from '../src';
import { ago, jobsIn, startEnv, type Env } from './support';

describe('Sweeper', () => {
  let env: Env;
  let sweeper: Sweeper;
  const MIN = 60_000;

  beforeAll(async () => {
    env = await startEnv();
    const { db } = env;
    const deps = { ...env.deps, redis: env.redis, jsm: await env.nc.jetstreamManager() };
    sweeper = new Sweeper(deps, { intervalMs: 1000, staleMs: 1000, hardStaleMs: 30 * MIN });
    // A learned product whose messages were lost at several stages.
    await db.product.create({ data: { asin: 'LEARNED001', learningState: 'learned', learningVersion: 1, reviewCount: 5 } });
    const base = { asin: 'LEARNED001', rating: 4, body: 'fine', category: 'short' as const, bodyLength: 4, uploadId: 'u1', createdAt: ago(10 * MIN) };
    await db.review.createMany({
      data: [
        { ...base, reviewId: 'lost-queued-1', translateStatus: 'queued', translateQueuedAt: ago(10 * MIN), insightStatus: 'queued', insightQueuedAt: ago(10 * MIN), themeStatus: 'done' },
        { ...base, reviewId: 'lost-queued-2', translateStatus: 'queued', translateQueuedAt: ago(10 * MIN), insightStatus: 'done', themeStatus: 'done' },
        { ...base, reviewId: 'never-handed-over', translateStatus: 'pending', insightStatus: 'done', themeStatus: 'done' },
        { ...base, reviewId: 'fresh-queued', translateStatus: 'queued', translateQueuedAt: new Date(), insightStatus: 'done', themeStatus: 'done' },
        { ...base, reviewId: 'done', translateStatus: 'done', insightStatus: 'done', themeStatus: 'done' },
      ],
    });
    // A small product whose uploads went quiet, and one still receiving uploads.
    await db.product.create({ data: { asin: 'QUIET00001', reviewCount: 3, lastUploadAt: ago(5 * MIN) } });
    await db.product.create({ data: { asin: 'BUSY000001', reviewCount: 3, lastUploadAt: new Date() } });
    // A report whose message was lost.
    await db.report.create({ data: { id: '00000000-0000-4000-8000-000000000001', asin: 'LEARNED001', createdAt: ago(10 * MIN), queuedAt: ago(10 * MIN) } });
  }, 60_000);

  afterAll(async () => env?.stop());

  it('re-publishes exactly the work that is stale, at every stage', async () => {
    const r = await sweeper.sweepOnce(true);
    expect(r).toMatchObject({ translate: 3, insight: 1, theme: 0, learning: 1, reports: 1 });

    const translate = await jobsIn(env.nc, 'TRANSLATE');
    const ids = translate.flatMap((j) => (j.kind === 'reviews' ? j.reviewIds : [])).sort();
    expect(ids).toEqual(['lost-queued-1', 'lost-queued-2', 'never-handed-over']);
    expect((await jobsIn(env.nc, 'INSIGHT')).flatMap((j) => j.reviewIds)).toEqual(['lost-queued-1']);
    expect((await jobsIn(env.nc, 'LEARNING')).map((j) => [j.asin, j.reason])).toEqual([['QUIET00001', 'quiet']]);
    expect((await jobsIn(env.nc, 'REPORT')).map((j) => j.reportId)).toEqual(['00000000-0000-4000-8000-000000000001']);

    const rows = await env.db.review.findMany({ where: { reviewId: { in: ids } } });
    for (const row of rows) {
      expect(row.translateStatus).toBe('queued');
      expect(row.translateQueuedAt!.getTime()).toBeGreaterThan(Date.now() - MIN);
    }
    expect((await env.db.product.findUnique({ where: { asin: 'QUIET00001' } }))!.learningState).toBe('queued');
    expect((await env.db.product.findUnique({ where: { asin: 'BUSY000001' } }))!.learningState).toBe('pending');
  });

  it('does not re-publish the same work on the next sweep while its queue holds it', async () => {
    const r = await sweeper.sweepOnce(true);
    expect(r).toEqual({ translate: 0, insight: 0, theme: 0, learning: 0, bullets: 0, reports: 0 });
    expect(await jobsIn(env.nc, 'TRANSLATE')).toHaveLength(1);
  });

  it('lets one process of the fleet sweep per interval', async () => {
    const deps = { ...env.deps, redis: env.redis, jsm: await env.nc.jetstreamManager() };
    const other = new Sweeper(deps, { intervalMs: 5000, staleMs: 1000, hardStaleMs: 30 * MIN });
    const results = await Promise.all([sweeper.sweepOnce(), other.sweepOnce()]);
    expect(results.filter((x) => x.skipped === 'not-leader')).toHaveLength(1);
  });
});
