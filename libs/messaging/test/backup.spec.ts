import { createConsumerRunner, publish, type HandlerContext } from '../src/testing';
import { registry, silentLog, sleep, useQueues, waitFor } from './support';

jest.setTimeout(90_000);

describe('learning backup (insight/theme pull LEARNING when their own queue is empty)', () => {
  const { env, runners } = useQueues();
  let testNo = 0;
  beforeEach(() => testNo++);

  const learningJob = (i: number) => ({ jobId: `lj-${testNo}-${i}`, asin: 'B000BACKUP', reason: 'new' as const });
  const insightJob = (i: number) => ({ asin: 'B000BACKUP', reviewIds: [`rv-${testNo}-${i}`], learningVersion: 1 });

  it('works LEARNING through the shared durable when its own queue is empty', async () => {
    for (let i = 0; i < 5; i++) await publish(env.js, 'LEARNING', learningJob(i));
    const seen: { jobId: string; ctx: Pick<HandlerContext, 'queue' | 'isBackup' | 'stream'> }[] = [];
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'INSIGHT',
      concurrency: 2,
      log: silentLog,
      registry: registry(),
      handler: async () => {
        throw new Error('no INSIGHT work was published');
      },
      backup: {
        queue: 'LEARNING',
        handler: async (job, ctx) => {
          seen.push({ jobId: job.jobId, ctx: { queue: ctx.queue, isBackup: ctx.isBackup, stream: ctx.stream } });
        },
      },
    });
    runners.push(runner);
    await runner.start();
    await waitFor('five learning jobs', () => seen.length === 5);
    expect(seen.map((s) => s.jobId).sort()).toEqual([0, 1, 2, 3, 4].map((i) => learningJob(i).jobId));
    expect(seen.every((s) => s.ctx.queue === 'LEARNING' && s.ctx.isBackup && s.ctx.stream === 'LEARNING')).toBe(true);
    await waitFor('acks', async () => (await env.jsm.streams.info('LEARNING')).state.messages === 0);
    const durables: string[] = [];
    for await (const ci of env.jsm.consumers.list('LEARNING')) durables.push(ci.name);
    expect(durables).toEqual(['learning']);
  });

  it('serves its own queue first when both have work', async () => {
    for (let i = 0; i < 4; i++) await publish(env.js, 'LEARNING', learningJob(i));
    for (let i = 0; i < 6; i++) await publish(env.js, 'INSIGHT', insightJob(i));
    const starts: string[] = [];
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'INSIGHT',
      concurrency: 2,
      log: silentLog,
      registry: registry(),
      handler: async () => {
        starts.push('INSIGHT');
        await sleep(100);
      },
      backup: {
        queue: 'LEARNING',
        handler: async () => {
          starts.push('LEARNING');
          await sleep(100);
        },
      },
    });
    runners.push(runner);
    await runner.start();
    await waitFor('all ten jobs', () => runner.stats.succeeded === 10, 30_000);
    expect(starts).toEqual([...Array(6).fill('INSIGHT'), ...Array(4).fill('LEARNING')]);
  });

  it('shares LEARNING with learning-svc without duplicates', async () => {
    const n = 20;
    for (let i = 0; i < n; i++) await publish(env.js, 'LEARNING', learningJob(i));
    const done: { by: string; jobId: string }[] = [];
    const learning = createConsumerRunner({
      nc: await env.connect('learning-svc'),
      queue: 'LEARNING',
      concurrency: 1,
      log: silentLog,
      registry: registry(),
      handler: async (job) => {
        await sleep(200);
        done.push({ by: 'learning-svc', jobId: job.jobId });
      },
    });
    const insight = createConsumerRunner({
      nc: await env.connect('insight-svc'),
      queue: 'INSIGHT',
      concurrency: 2,
      log: silentLog,
      registry: registry(),
      handler: async () => {},
      backup: {
        queue: 'LEARNING',
        handler: async (job) => {
          await sleep(200);
          done.push({ by: 'insight-svc', jobId: job.jobId });
        },
      },
    });
    runners.push(learning, insight);
    await Promise.all([learning.start(), insight.start()]);
    await waitFor('all learning jobs', () => done.length === n, 30_000);
    await sleep(300);
    expect(done).toHaveLength(n);
    expect(new Set(done.map((d) => d.jobId)).size).toBe(n);
    expect(done.some((d) => d.by === 'learning-svc')).toBe(true);
    expect(done.some((d) => d.by === 'insight-svc')).toBe(true);
  });
});
