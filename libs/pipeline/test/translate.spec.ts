/**
 * The translate handler against llm-sim behind a fault front: malformed
 * answers, refusals (400), a provider down for everyone (503), a database
 * outage while writing, and bullet points that keep failing. One behaviour
 * per test.
 */
import { TransientError } from '@voc/messaging';
import { dependencyOf, handleTranslate, type TranslateResult } from '../src';
import { enqueueBullets } from '../src/handover';
import {
  REFUSED_MARKER,
  gatedContext,
  ingest,
  jobsIn,
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

describe('translate handler', () => {
  const f = useEnv({ llm: true, settings: { LEARN_MIN_REVIEWS: 1000 } });
  let env: Env;
  beforeEach(() => (env = f.env));

  const batch = (asin: string, ids: string[]) => ({ asin, kind: 'reviews' as const, category: 'standard' as const, reviewIds: ids });

  it('translates a batch and marks every review done', async () => {
    await ingest(env, 'B0TRANS001', reviews(4));
    const r = await handleTranslate(env.deps, batch('B0TRANS001', ['r1', 'r2', 'r3', 'r4']), stageContext());
    expect(r).toMatchObject({ translated: 4, failed: 0 });
    const s = await statuses(env.db, 'B0TRANS001');
    expect(Object.values(s).map((x) => x.translate)).toEqual(['done', 'done', 'done', 'done']);
  });

  // One review per batch: a single translation has no malformation a parser could recover from.
  it('retries a review whose answers stay malformed with the next delivery, recording the attempt', async () => {
    await ingest(env, 'B0TRANS002', reviews(1));
    env.llm!.mode = 'malformed';
    const err = await rejection(handleTranslate(env.deps, batch('B0TRANS002', ['r1']), stageContext()));
    expect(err).toBeInstanceOf(TransientError);
    expect(dependencyOf(err)).toBeUndefined();
    const rows = await env.db.review.findMany({ where: { asin: 'B0TRANS002' } });
    expect(rows.map((r) => [r.translateStatus, r.translateAttempts])).toEqual([['queued', 1]]);
  });

  it('gives up on malformed answers on the last delivery, without failing the message', async () => {
    await ingest(env, 'B0TRANS003', reviews(1));
    env.llm!.mode = 'malformed';
    const r = await handleTranslate(env.deps, batch('B0TRANS003', ['r1']), stageContext({ isLastDelivery: true }));
    expect(r).toMatchObject({ translated: 0, failed: 1, refused: 0 });
    expect(Object.values(await statuses(env.db, 'B0TRANS003')).map((x) => x.translate)).toEqual(['failed']);
  });

  it('fails a review the provider refuses at once, and translates its batch-mates', async () => {
    const list = reviews(3).map((x, i) => (i === 1 ? { ...x, body: `${x.body} ${REFUSED_MARKER}` } : x));
    await ingest(env, 'B0TRANS004', list);
    const r = await handleTranslate(env.deps, batch('B0TRANS004', ['r1', 'r2', 'r3']), stageContext());
    expect(r).toMatchObject({ translated: 2, failed: 1, refused: 1 });
    const s = await statuses(env.db, 'B0TRANS004');
    expect(s.r2).toMatchObject({ translate: 'failed', refused: expect.stringMatching(/400/) });
    expect([s.r1!.translate, s.r3!.translate]).toEqual(['done', 'done']);
  });

  it('gets through a provider that fails every other request (the client retries)', async () => {
    await ingest(env, 'B0TRANS005', reviews(2));
    env.llm!.mode = 'flaky';
    const r = await handleTranslate(env.deps, batch('B0TRANS005', ['r1', 'r2']), stageContext());
    expect(r.translated).toBe(2);
  });

  it('throws a provider down for everyone as an LLM outage, and records nothing on the reviews even on the last delivery', async () => {
    await ingest(env, 'B0TRANS006', reviews(2));
    env.llm!.mode = 'down';
    const err = await rejection(handleTranslate(env.deps, batch('B0TRANS006', ['r1', 'r2']), stageContext({ isLastDelivery: true })));
    expect(dependencyOf(err)).toBe('llm');
    const rows = await env.db.review.findMany({ where: { asin: 'B0TRANS006' } });
    expect(rows.map((r) => [r.translateStatus, r.translateAttempts, r.translateLastError])).toEqual([
      ['queued', 0, null],
      ['queued', 0, null],
    ]);
  });

  it('keeps its translations through a database outage while writing them: the write waits, nothing is asked twice', async () => {
    await ingest(env, 'B0TRANS007', reviews(3));
    const gate = testGate(env);
    // The database goes away right after the provider has answered, for 1.5 s.
    const before = env.llm!.answered();
    const spy = llmWithHook(env, async () => {
      await env.pg.setMode('refuse');
      setTimeout(() => void env.pg.setMode('pass'), 1500);
    });
    const r: TranslateResult = await handleTranslate({ ...env.deps, llm: spy }, batch('B0TRANS007', ['r1', 'r2', 'r3']), gatedContext(gate));
    gate.close();
    expect(r.translated).toBe(3);
    expect(env.llm!.answered() - before).toBe(1);
    expect(Object.values(await statuses(env.db, 'B0TRANS007')).map((x) => x.translate)).toEqual(['done', 'done', 'done']);
  });

  it('marks bullet points failed with the reason after BULLETS_MAX_ATTEMPTS, instead of retrying them forever', async () => {
    const asin = 'B0TRANS008';
    await ingest(env, asin, reviews(1), { bulletPoints: ['boils 1.7 L in 3 minutes'] });
    env.llm!.mode = 'malformed';
    const job = { asin, kind: 'bullets' as const };
    const max = env.deps.settings.BULLETS_MAX_ATTEMPTS;
    for (let i = 1; i < max; i++) await rejection(handleTranslate(env.deps, job, stageContext()));
    const last = await handleTranslate(env.deps, job, stageContext());
    expect(last.failed).toBe(1);
    const p = await env.db.product.findUnique({ where: { asin } });
    expect(p).toMatchObject({ bulletsTranslateStatus: 'failed', bulletsTranslateAttempts: max, bulletsTranslateError: expect.stringMatching(/malformed|answer/i) });
    // Nothing more happens for it.
    expect(await handleTranslate(env.deps, job, stageContext())).toMatchObject({ failed: 0, calls: 0 });
  });

  it('publishes a changed bullet list at once, not dropped as a duplicate of the previous one', async () => {
    const asin = 'B0TRANS009';
    await ingest(env, asin, reviews(1), { bulletPoints: ['first list'] });
    await ingest(env, asin, reviews(1, 'more'), { bulletPoints: ['second list'] });
    const bulletJobs = (await jobsIn(env.nc, 'TRANSLATE')).filter((j) => j.asin === asin && j.kind === 'bullets');
    expect(bulletJobs).toHaveLength(2);
    // The same list published twice in a row is one message.
    const p = await env.db.product.findUnique({ where: { asin } });
    await enqueueBullets(env.deps, asin, ['second list'], p!.bulletsTranslateQueuedAt);
    await enqueueBullets(env.deps, asin, ['second list'], p!.bulletsTranslateQueuedAt);
    expect((await jobsIn(env.nc, 'TRANSLATE')).filter((j) => j.asin === asin && j.kind === 'bullets')).toHaveLength(3);
  });
});
