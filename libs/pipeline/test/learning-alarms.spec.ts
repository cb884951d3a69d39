/**
 * The alarms that learn a small product once its uploads go quiet, without
 * waiting for the sweeper: they ring at the rule's moment (never before it),
 * follow a later upload, leave a product the rule does not want alone, and
 * stop ringing when stopped.
 */
import { handleIngest, LearningAlarms } from '../src';
import { jobsIn, reviews, useEnv, waitFor, type Env } from './support';

const QUIET_MS = 800;
const settings = { LEARN_QUIET_MS: QUIET_MS, LEARN_MIN_REVIEWS: 20 };

describe('learning alarms', () => {
  const f = useEnv({ settings });
  let env: Env;
  let alarms: LearningAlarms;
  let n = 0;
  beforeEach(() => {
    env = f.env;
    alarms = new LearningAlarms(env.deps);
  });
  afterEach(() => alarms.stop());

  const upload = (asin: string, count: number, prefix = 'r') => handleIngest(env.deps, { uploadId: `alarm-${++n}`, asin, reviews: reviews(count, prefix) }, undefined, alarms);
  const stateOf = async (asin: string) => (await env.db.product.findUniqueOrThrow({ where: { asin } })).learningState;
  const learningJobs = async (asin: string) => (await jobsIn(env.nc, 'LEARNING')).filter((j) => j.asin === asin);

  it('queues a small product for learning at its quiet moment, with no sweeper running', async () => {
    const asin = 'ALARM00001';
    await upload(asin, 3);
    expect(await stateOf(asin)).toBe('pending');
    expect(alarms.size).toBe(1);
    await waitFor('the quiet product to be queued', async () => (await stateOf(asin)) === 'queued', 10_000);
    expect((await learningJobs(asin)).map((j) => j.reason)).toEqual(['quiet']);
    // Never before the moment: the job was written at least LEARN_QUIET_MS after the last upload.
    const product = await env.db.product.findUniqueOrThrow({ where: { asin } });
    const job = await env.db.learningJob.findFirstOrThrow({ where: { asin } });
    expect(job.createdAt.getTime() - product.lastUploadAt!.getTime()).toBeGreaterThanOrEqual(QUIET_MS);
    expect(alarms.size).toBe(0);
  });

  it('moves the moment with a later upload of the same product, also one stored by another process', async () => {
    const asin = 'ALARM00002';
    await upload(asin, 2, 'a');
    // Another ingest process (no alarms here) stores more reviews half-way to the moment.
    await new Promise((r) => setTimeout(r, QUIET_MS / 2));
    await handleIngest(env.deps, { uploadId: `alarm-${++n}`, asin, reviews: reviews(2, 'b') });
    await waitFor('the product to be queued', async () => (await stateOf(asin)) === 'queued', 10_000);
    const product = await env.db.product.findUniqueOrThrow({ where: { asin } });
    const job = await env.db.learningJob.findFirstOrThrow({ where: { asin } });
    expect(product.reviewCount).toBe(4);
    expect(job.createdAt.getTime() - product.lastUploadAt!.getTime()).toBeGreaterThanOrEqual(QUIET_MS);
    expect(await learningJobs(asin)).toHaveLength(1);
  });

  it('sets no alarm for a product learned at once (LEARN_MIN_REVIEWS reached)', async () => {
    const asin = 'ALARM00003';
    await upload(asin, 20);
    expect(alarms.size).toBe(0);
    expect(await stateOf(asin)).toBe('queued');
    expect((await learningJobs(asin)).map((j) => j.reason)).toEqual(['new']);
  });

  it('rings no more once stopped, and sets none after', async () => {
    const asin = 'ALARM00004';
    await upload(asin, 1);
    expect(alarms.size).toBe(1);
    await alarms.stop();
    expect(alarms.size).toBe(0);
    await upload(asin, 1, 'late');
    expect(alarms.size).toBe(0);
    await new Promise((r) => setTimeout(r, QUIET_MS + 400));
    expect(await stateOf(asin)).toBe('pending');
  });

  it('keeps at most its limit of alarms (the rest is left to the sweeper)', async () => {
    const few = new LearningAlarms(env.deps, 1);
    try {
      for (const asin of ['ALARM00005', 'ALARM00006']) {
        await handleIngest(env.deps, { uploadId: `alarm-${++n}`, asin, reviews: reviews(1) }, undefined, few);
      }
      expect(few.size).toBe(1);
    } finally {
      await few.stop();
    }
  });
});
