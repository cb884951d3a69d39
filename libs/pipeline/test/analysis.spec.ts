/**
 * The insight and theme handlers on real servers with llm-sim behind a fault
 * front: results written once, a review's own failures (malformed, refused)
 * isolated, a provider outage recorded nowhere, a failed write never an
 * unhandled rejection, a database outage survived with the results in hand,
 * and no analysis with a model that is being replaced.
 */
import type { InsightJob } from '@voc/messaging';
import { dependencyOf, handleInsight, handleLearning, handleTheme, requestLearning } from '../src';
import {
  REFUSED_MARKER,
  gatedContext,
  ingest,
  rejection,
  reviews,
  stageContext,
  statuses,
  testGate,
  llmWithHook,
  useEnv,
  type Env,
} from './support';

jest.setTimeout(60_000);

describe('insight and theme handlers', () => {
  // Small write batches, so a message writes several times while its LLM calls run.
  const f = useEnv({ llm: true, settings: { LEARN_MIN_REVIEWS: 1000, WRITE_BATCH_SIZE: 2 } });
  let env: Env;
  beforeEach(() => (env = f.env));

  /** A learned product with `list` stored; returns the INSIGHT/THEME job for all of them. */
  async function learned(asin: string, list = reviews(6)): Promise<InsightJob> {
    await ingest(env, asin, list);
    const req = await requestLearning(env.deps, asin, 'manual');
    const r = await handleLearning(env.deps, { jobId: req!.jobId, asin, reason: 'manual' }, stageContext());
    return { asin, reviewIds: list.map((x) => x.reviewId), learningVersion: r.learningVersion! };
  }

  it('writes 3–5 insights per review once, however often the message comes', async () => {
    const job = await learned('B0ANAL0001');
    const r = await handleInsight(env.deps, job, stageContext(), 4);
    expect(r).toMatchObject({ reviews: 6, written: 6, failed: 0 });
    const again = await handleInsight(env.deps, job, stageContext(), 4);
    expect(again).toMatchObject({ reviews: 0, written: 0 });
    const perReview = await env.db.insight.groupBy({ by: ['reviewPk'], where: { asin: job.asin }, _count: true });
    expect(perReview).toHaveLength(6);
    for (const g of perReview) expect(g._count).toBeGreaterThanOrEqual(3);
  });

  it('labels reviews with the learned 5W themes', async () => {
    const job = await learned('B0ANAL0002');
    const r = await handleTheme(env.deps, job, stageContext(), 4);
    expect(r).toMatchObject({ reviews: 6, written: 6, failed: 0 });
    expect(Object.values(await statuses(env.db, job.asin)).every((s) => s.theme === 'done')).toBe(true);
  });

  it('fails the reviews whose answers stay malformed, and finishes the message', async () => {
    const job = await learned('B0ANAL0003');
    env.llm!.mode = 'garbage';
    const r = await handleInsight(env.deps, job, stageContext(), 4);
    expect(r).toMatchObject({ reviews: 6, written: 0, failed: 6, refused: 0 });
    expect(Object.values(await statuses(env.db, job.asin)).map((s) => s.insight)).toEqual(Array(6).fill('failed'));
  });

  it('fails a review the provider refuses at once, and analyses the others', async () => {
    const list = reviews(4).map((x, i) => (i === 2 ? { ...x, body: `${x.body} ${REFUSED_MARKER}` } : x));
    // Learning leaves the refused review out; it is refused again at analysis.
    const job = await learned('B0ANAL0004', list);
    const r = await handleTheme(env.deps, job, stageContext(), 4);
    expect(r).toMatchObject({ written: 3, failed: 1, refused: 1 });
    expect((await statuses(env.db, job.asin)).r3).toMatchObject({ theme: 'failed', refused: expect.stringMatching(/400/) });
  });

  it('throws a provider down for everyone as an outage, records nothing, and the rerun does only what is left', async () => {
    const job = await learned('B0ANAL0005');
    env.llm!.mode = 'down';
    const err = await rejection(handleInsight(env.deps, job, stageContext({ isLastDelivery: true }), 4));
    expect(dependencyOf(err)).toBe('llm');
    const rows = await env.db.review.findMany({ where: { asin: job.asin } });
    expect(rows.every((r) => r.insightStatus === 'queued' && r.insightLastError === null)).toBe(true);
    env.llm!.mode = 'ok';
    expect(await handleInsight(env.deps, job, stageContext(), 4)).toMatchObject({ written: 6, failed: 0 });
  });

  it('awaits a failed write: the handler rejects with the database error, never an unhandled rejection', async () => {
    const job = await learned('B0ANAL0006', reviews(8));
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      // The database goes away after the first answers: the first write batches fail while calls still run.
      const spy = llmWithHook(env, async (n) => {
        if (n === 2) await env.pg.setMode('refuse');
      });
      const err = await rejection(handleInsight({ ...env.deps, llm: spy }, job, stageContext(), 1));
      expect(dependencyOf(err)).toBe('postgres');
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('keeps its results through a database restart under a runner: writes wait, no LLM call is made twice', async () => {
    const job = await learned('B0ANAL0007', reviews(8));
    const gate = testGate(env);
    const before = env.llm!.answered();
    const spy = llmWithHook(env, async (n) => {
      if (n !== 3) return;
      await env.pg.setMode('refuse');
      setTimeout(() => void env.pg.setMode('pass'), 2000);
    });
    try {
      const r = await handleInsight({ ...env.deps, llm: spy }, job, gatedContext(gate), 2);
      expect(r).toMatchObject({ written: 8, failed: 0 });
    } finally {
      gate.close();
    }
    expect(env.llm!.answered() - before).toBe(8);
    expect(Object.values(await statuses(env.db, job.asin)).every((s) => s.insight === 'done')).toBe(true);
  });

  it('parks the reviews of a product being relearned instead of analysing them with the old model', async () => {
    const job = await learned('B0ANAL0008');
    await requestLearning(env.deps, job.asin, 'manual'); // relearn queued
    const answered = env.llm!.answered();
    const r = await handleTheme(env.deps, job, stageContext(), 4);
    expect(r).toMatchObject({ reviews: 0, written: 0 });
    expect(env.llm!.answered()).toBe(answered);
    expect(Object.values(await statuses(env.db, job.asin)).map((s) => s.theme)).toEqual(Array(6).fill('pending'));
  });
});
