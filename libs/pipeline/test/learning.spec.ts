/**
 * The learning handler and the learning state machine on real servers with
 * llm-sim behind a fault front: a product is never left stuck, a refused
 * review never blocks learning, an outage records nothing, and a job row
 * always exists for a queued product.
 */
import { dependencyOf, handleLearning, productStatus, requestLearning } from '../src';
import { REFUSED_MARKER, ingest, jobsIn, rejection, reviews, stageContext, useEnv, type Env } from './support';

jest.setTimeout(60_000);

describe('learning handler', () => {
  // Learning only when a test asks for it.
  const f = useEnv({ llm: true, settings: { LEARN_MIN_REVIEWS: 1000, LEARN_RETRY_BASE_MS: 60_000 } });
  let env: Env;
  beforeEach(() => (env = f.env));

  /** A product with `n` reviews and a queued learning job; returns the job. */
  async function queued(asin: string, n = 6, list = reviews(n)) {
    await ingest(env, asin, list);
    const req = await requestLearning(env.deps, asin, 'manual');
    return { jobId: req!.jobId, asin, reason: 'manual' as const };
  }

  it('learns dimensions and labels, and releases the product’s waiting reviews to insight and theme', async () => {
    const job = await queued('B0LEARN101');
    const r = await handleLearning(env.deps, job, stageContext());
    expect(r).toMatchObject({ learningVersion: 1, released: { insight: 6, theme: 6 } });
    expect(r.dimensions).toBeGreaterThanOrEqual(5);
    const p = await env.db.product.findUnique({ where: { asin: job.asin }, include: { learningJobs: true } });
    expect(p).toMatchObject({ learningState: 'learned', learnedReviewCount: 6, learningFailures: 0 });
    expect(p?.learningJobs).toEqual([expect.objectContaining({ status: 'done', learningVersion: 1 })]);
    expect((await jobsIn(env.nc, 'INSIGHT')).filter((j) => j.asin === job.asin).flatMap((j) => j.reviewIds)).toHaveLength(6);
  });

  it('marks a product whose answers stay malformed failed with a retry time, and finishes the message', async () => {
    const job = await queued('B0LEARN102');
    env.llm!.mode = 'garbage';
    const before = Date.now();
    const r = await handleLearning(env.deps, job, stageContext({ isLastDelivery: true }));
    expect(r.failed?.error).toMatch(/malformed|learning/i);
    const p = await env.db.product.findUnique({ where: { asin: job.asin }, include: { learningJobs: true } });
    expect(p).toMatchObject({ learningState: 'failed', learningFailures: 1, learningError: expect.any(String) });
    // LEARN_RETRY_BASE_MS after the first failure.
    expect(p!.learningRetryAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000 - 1000);
    expect(p?.learningJobs).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect((await productStatus(env.db, job.asin))?.learningFailure).toMatchObject({ failures: 1, retryAt: p!.learningRetryAt!.toISOString() });
  });

  it('doubles the wait after each failure in a row, and clears it on success', async () => {
    const asin = 'B0LEARN103';
    const first = await queued(asin);
    env.llm!.mode = 'garbage';
    await handleLearning(env.deps, first, stageContext());
    await env.db.product.update({ where: { asin }, data: { learningRetryAt: new Date() } });
    const retry = await requestLearning(env.deps, asin, 'retry');
    expect(retry).toMatchObject({ existing: false });
    const t0 = Date.now();
    await handleLearning(env.deps, { jobId: retry!.jobId, asin, reason: 'retry' }, stageContext());
    const p = await env.db.product.findUnique({ where: { asin } });
    expect(p!.learningFailures).toBe(2);
    expect(p!.learningRetryAt!.getTime() - t0).toBeGreaterThanOrEqual(120_000 - 1000);

    env.llm!.mode = 'ok';
    await env.db.product.update({ where: { asin }, data: { learningRetryAt: new Date() } });
    const third = await requestLearning(env.deps, asin, 'retry');
    await handleLearning(env.deps, { jobId: third!.jobId, asin, reason: 'retry' }, stageContext());
    expect(await env.db.product.findUnique({ where: { asin } })).toMatchObject({ learningState: 'learned', learningFailures: 0, learningRetryAt: null });
  });

  it('learns around a review the provider refuses, and leaves it out of every later sample', async () => {
    const list = reviews(6).map((x, i) => (i === 3 ? { ...x, body: `${x.body} ${REFUSED_MARKER}`, helpfulVotes: 1000 } : x));
    const job = await queued('B0LEARN104', 6, list);
    const r = await handleLearning(env.deps, job, stageContext());
    expect(r).toMatchObject({ learningVersion: 1, refused: ['r4'] });
    const refused = await env.db.review.findFirst({ where: { asin: job.asin, reviewId: 'r4' } });
    expect(refused?.refusedReason).toMatch(/refused/);

    // A relearn samples without it: no refusal on the way.
    const refusalsBefore = env.llm!.refused;
    const again = await requestLearning(env.deps, job.asin, 'manual');
    const r2 = await handleLearning(env.deps, { jobId: again!.jobId, asin: job.asin, reason: 'manual' }, stageContext());
    expect(r2).toMatchObject({ learningVersion: 2, refused: [] });
    expect(env.llm!.refused).toBe(refusalsBefore);
  });

  it('throws a provider down for everyone as an outage and records no failure, even on the last delivery', async () => {
    const job = await queued('B0LEARN105');
    env.llm!.mode = 'down';
    const err = await rejection(handleLearning(env.deps, job, stageContext({ isLastDelivery: true })));
    expect(dependencyOf(err)).toBe('llm');
    const p = await env.db.product.findUnique({ where: { asin: job.asin }, include: { learningJobs: true } });
    expect(p).toMatchObject({ learningState: 'learning', learningFailures: 0 });
    expect(p?.learningJobs).toEqual([expect.objectContaining({ status: 'running', error: null })]);
    // When the provider is back, the held message's rerun learns the product.
    env.llm!.mode = 'ok';
    expect(await handleLearning(env.deps, job, stageContext())).toMatchObject({ learningVersion: 1 });
  });

  it('answers a manual request with the job already queued, instead of queuing another', async () => {
    const job = await queued('B0LEARN106');
    const again = await requestLearning(env.deps, job.asin, 'manual');
    expect(again).toEqual({ jobId: job.jobId, existing: true });
    expect(await env.db.learningJob.count({ where: { asin: job.asin } })).toBe(1);
    expect(await requestLearning(env.deps, 'B0NOSUCH01', 'manual')).toBeUndefined();
  });

  it('never leaves a product queued without a job: state and job row are written together', async () => {
    const asin = 'B0LEARN107';
    await ingest(env, asin, reviews(3));
    // The job row cannot be written (as if the process died right after the state change).
    await env.db.$executeRawUnsafe(`ALTER TABLE learning_jobs ADD CONSTRAINT test_crash CHECK (asin <> '${asin}')`);
    try {
      await rejection(requestLearning(env.deps, asin, 'manual'));
    } finally {
      await env.db.$executeRawUnsafe('ALTER TABLE learning_jobs DROP CONSTRAINT test_crash');
    }
    expect((await env.db.product.findUnique({ where: { asin } }))?.learningState).toBe('pending');
    expect(await env.db.learningJob.count({ where: { asin } })).toBe(0);
  });

  it('marks a job published in the transaction that queues it, before its message goes out: a sweeper cannot take it for lost and publish it twice', async () => {
    const asin = 'B0LEARN120';
    await ingest(env, asin, reviews(3));
    const published: (Date | null | undefined)[] = [];
    // The job's row as the database holds it at the moment its message is published.
    const js = new Proxy(env.deps.js, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (key !== 'publish' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          published.push((await env.db.learningJob.findFirst({ where: { asin } }))?.publishedAt);
          return value.apply(target, args);
        };
      },
    });
    const req = await requestLearning({ ...env.deps, js }, asin, 'manual');
    expect(req).toMatchObject({ existing: false });
    expect(published).toEqual([expect.any(Date)]);
  });

  it('does nothing for a job that is already done (a late redelivery)', async () => {
    const job = await queued('B0LEARN108');
    await handleLearning(env.deps, job, stageContext());
    const answered = env.llm!.answered();
    expect(await handleLearning(env.deps, job, stageContext())).toEqual({ skipped: 'done' });
    expect(env.llm!.answered()).toBe(answered);
  });

  it('keeps analysing with the previous model when a relearn fails, releasing what waited for it', async () => {
    const asin = 'B0LEARN109';
    const job = await queued(asin);
    await handleLearning(env.deps, job, stageContext());
    const relearn = await requestLearning(env.deps, asin, 'manual');
    // Reviews uploaded while the relearn is queued wait for it…
    await ingest(env, asin, reviews(2, 'late'));
    const late = await env.db.review.findMany({ where: { asin, reviewId: { startsWith: 'late' } } });
    expect(late.map((r) => r.insightStatus)).toEqual(['pending', 'pending']);
    env.llm!.mode = 'garbage';
    const r = await handleLearning(env.deps, { jobId: relearn!.jobId, asin, reason: 'manual' }, stageContext());
    // …and go to analysis with version 1 when it fails.
    expect(r).toMatchObject({ failed: expect.any(Object), released: { insight: 2, theme: 2 } });
    const insight = (await jobsIn(env.nc, 'INSIGHT')).filter((j) => j.asin === asin && j.reviewIds.includes('late1'));
    expect(insight).toEqual([expect.objectContaining({ learningVersion: 1 })]);
  });
});
