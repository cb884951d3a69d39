import { connect } from 'nats';
import { InvalidJobError, PublishError, createConsumerRunner, defaultMsgId, ensureStreams, publish, type TranslateJob } from '../src/testing';
import { registry, resetQueues, silentLog, startEnv, streamMessages, waitFor, sleep, type Env } from './support';

jest.setTimeout(60_000);

describe('publish', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(() => env.teardown());
  beforeEach(() => resetQueues(env.jsm));

  it('stores a job published twice with one msgId once, and delivers it once', async () => {
    const job: TranslateJob = { asin: 'B000TEST01', kind: 'reviews', category: 'short', reviewIds: ['a', 'b'] };
    const first = await publish(env.js, 'TRANSLATE', job, { msgId: 'tr-1' });
    const again = await publish(env.js, 'TRANSLATE', job, { msgId: 'tr-1' });
    expect(first).toMatchObject({ stream: 'TRANSLATE', duplicate: false, msgId: 'tr-1' });
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await streamMessages(env.jsm, 'TRANSLATE')).toBe(1);

    const seen: { job: TranslateJob; msgId?: string }[] = [];
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'TRANSLATE',
      concurrency: 4,
      log: silentLog,
      registry: registry(),
      handler: async (j, ctx) => {
        seen.push({ job: j, msgId: ctx.msgId });
      },
    });
    await runner.start();
    try {
      await waitFor('the job', () => seen.length === 1);
      await sleep(500); // a second delivery would show up here
      expect(seen).toEqual([{ job, msgId: 'tr-1' }]);
      await waitFor('the ack', async () => (await streamMessages(env.jsm, 'TRANSLATE')) === 0);
    } finally {
      await runner.stop();
    }
  });

  it('derives the default msgId from the content, whatever the key order', async () => {
    const a = { jobId: 'j1', asin: 'B000TEST01', reason: 'new' as const };
    const b = { reason: 'new' as const, asin: 'B000TEST01', jobId: 'j1' };
    expect(defaultMsgId('LEARNING', a)).toBe(defaultMsgId('LEARNING', b));
    expect(defaultMsgId('LEARNING', a)).not.toBe(defaultMsgId('LEARNING', { ...a, jobId: 'j2' }));
    const r1 = await publish(env.js, 'LEARNING', a);
    const r2 = await publish(env.js, 'LEARNING', b);
    expect(r1.msgId).toMatch(/^learning:/);
    expect(r2.duplicate).toBe(true);
    expect(await streamMessages(env.jsm, 'LEARNING')).toBe(1);
  });

  it('refuses an invalid job before it reaches the stream, naming the queue and the field', async () => {
    const bad = { asin: 'B000TEST01', kind: 'reviews', category: 'huge', reviewIds: [] } as unknown as TranslateJob;
    const err = await publish(env.js, 'TRANSLATE', bad, { msgId: 'bad-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidJobError);
    expect(err).toMatchObject({ queue: 'TRANSLATE', msgId: 'bad-1' });
    expect((err as Error).message).toMatch(/category/);
    expect((err as Error).message).toMatch(/reviewIds/);
    expect(await streamMessages(env.jsm, 'TRANSLATE')).toBe(0);
  });

  it('reports a publish JetStream did not acknowledge with the queue and msgId', async () => {
    await env.jsm.streams.delete('REPORT');
    try {
      const nc = await connect({ servers: env.stack.natsUrl });
      try {
        const err = await publish(nc.jetstream(), 'REPORT', { reportId: 'r1', asin: 'B000TEST01' }, { msgId: 'rep-1', timeoutMs: 1000 }).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(PublishError);
        expect(err).toMatchObject({ queue: 'REPORT', msgId: 'rep-1', subject: 'voc.report' });
        expect((err as Error).message).toMatch(/publish to REPORT \(voc.report, msgId rep-1\) failed/);
      } finally {
        await nc.close();
      }
    } finally {
      await ensureStreams(env.jsm);
    }
  });
});
