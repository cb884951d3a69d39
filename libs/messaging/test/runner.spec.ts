import { type Registry } from 'prom-client';
import {
  DLQ,
  DLQ_HEADERS,
  PermanentError,
  QUEUES,
  TransientError,
  createConsumerRunner,
  listDeadLetters,
  publish,
  type HandlerContext,
  type InsightJob,
  type ReportJob,
} from '../src/testing';
import { dlqCount, gate, registry, reportJob, resetQueues, silentLog, sleep, streamMessages, useQueues, waitFor } from './support';

jest.setTimeout(90_000);

async function metricValue(reg: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = reg.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

describe('consumer runner', () => {
  const { env, runners } = useQueues();

  // Unique per test: equal content would share a default msgId and be dropped as a duplicate.
  let testNo = 0;
  beforeEach(() => testNo++);
  function insightJob(i: number): InsightJob {
    return { asin: 'B000TEST01', reviewIds: [`rv-${testNo}-${i}`], learningVersion: 1 };
  }

  it('holds at most CONCURRENCY messages at once, in the handler and on the server', async () => {
    for (let i = 0; i < 50; i++) await publish(env.js, 'INSIGHT', insightJob(i));
    let current = 0;
    let maxSeen = 0;
    const done = new Set<string>();
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'INSIGHT',
      concurrency: 4,
      log: silentLog,
      registry: registry(),
      handler: async (job) => {
        current++;
        maxSeen = Math.max(maxSeen, current);
        await sleep(30);
        current--;
        done.add(job.reviewIds[0]!);
      },
    });
    runners.push(runner);
    let maxAckPending = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const ci = await env.jsm.consumers.info('INSIGHT', 'insight');
        maxAckPending = Math.max(maxAckPending, ci.num_ack_pending);
        await sleep(10);
      }
    })();
    await runner.start();
    await waitFor('all 50 jobs', () => done.size === 50, 30_000);
    polling = false;
    await poller;
    expect(maxSeen).toBe(4);
    expect(runner.stats.maxInFlight).toBe(4);
    expect(maxAckPending).toBeGreaterThan(0);
    expect(maxAckPending).toBeLessThanOrEqual(4);
    expect(runner.stats.succeeded).toBe(50);
  });

  it('holds no more than admission allows, below CONCURRENCY, and pulls more as it grows without a message ending', async () => {
    for (let i = 0; i < 20; i++) await publish(env.js, 'INSIGHT', insightJob(i));
    let admitted = 2;
    let current = 0;
    let maxSeen = 0;
    const release: (() => void)[] = [];
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'INSIGHT',
      concurrency: 10,
      admission: () => admitted,
      log: silentLog,
      registry: registry(),
      handler: async () => {
        current++;
        maxSeen = Math.max(maxSeen, current);
        await new Promise<void>((r) => release.push(r));
        current--;
      },
    });
    runners.push(runner);
    await runner.start();
    await waitFor('2 held', () => current === 2, 10_000);
    await sleep(600);
    expect(maxSeen).toBe(2);
    // Admission grows while every held message still waits: the runner must notice by itself.
    admitted = 5;
    await waitFor('5 held', () => current === 5, 10_000);
    await sleep(600);
    expect(maxSeen).toBe(5);
    admitted = 50; // above the cap: CONCURRENCY still binds
    await waitFor('10 held', () => current === 10, 10_000);
    await sleep(300);
    expect(maxSeen).toBe(10);
    const ci = await env.jsm.consumers.info('INSIGHT', 'insight');
    expect(ci.num_ack_pending).toBeLessThanOrEqual(10);
    while (runner.stats.succeeded < 20) {
      release.splice(0).forEach((r) => r());
      await sleep(50);
    }
    expect(runner.stats.succeeded).toBe(20);
  });

  it('shares one durable between two processes: each does some, together all, none twice', async () => {
    const n = 40;
    for (let i = 0; i < n; i++) await publish(env.js, 'INSIGHT', insightJob(i));
    const byRunner: string[][] = [[], []];
    const deliveries: number[] = [];
    const make = async (k: 0 | 1) =>
      createConsumerRunner({
        nc: await env.connect(`worker-${k}`),
        queue: 'INSIGHT',
        concurrency: 2,
        log: silentLog,
        registry: registry(),
        handler: async (job, ctx) => {
          byRunner[k]!.push(job.reviewIds[0]!);
          deliveries.push(ctx.deliveryCount);
          await sleep(40);
        },
      });
    const a = await make(0);
    const b = await make(1);
    runners.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await waitFor('all jobs', () => a.stats.succeeded + b.stats.succeeded === n, 30_000);
    const all = [...byRunner[0]!, ...byRunner[1]!];
    expect(byRunner[0]!.length).toBeGreaterThan(0);
    expect(byRunner[1]!.length).toBeGreaterThan(0);
    expect(new Set(all).size).toBe(n);
    expect(all).toHaveLength(n);
    expect(deliveries.every((d) => d === 1)).toBe(true);
  });

  it('retries a failing message with a delay and dead-letters it with its story after max_deliver', async () => {
    const pub = await publish(env.js, 'REPORT', reportJob('always-fails'), { msgId: 'rep-fail', headers: { 'Trace-Id': 't-42' } });
    const calls: Pick<HandlerContext, 'deliveryCount' | 'isLastDelivery'>[] = [];
    const reg = registry();
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'REPORT',
      concurrency: 2,
      log: silentLog,
      registry: reg,
      retry: { baseMs: 50, maxMs: 200 },
      handler: async (_job, ctx) => {
        calls.push({ deliveryCount: ctx.deliveryCount, isLastDelivery: ctx.isLastDelivery });
        throw new Error('boom\nwith a second line');
      },
    });
    runners.push(runner);
    await runner.start();
    // The dead letter is stored first, then the original acked (nothing lost in between): wait for both.
    await waitFor('the dead letter, and the original gone', async () => (await dlqCount(env.jsm, 'REPORT')) === 1 && (await streamMessages(env.jsm, 'REPORT')) === 0);
    expect(calls).toEqual([
      { deliveryCount: 1, isLastDelivery: false },
      { deliveryCount: 2, isLastDelivery: false },
      { deliveryCount: 3, isLastDelivery: true },
    ]);
    const dead = await env.jsm.streams.getMessage(DLQ.stream, { last_by_subj: `${QUEUES.REPORT.dlqSubject}.exhausted` });
    expect(dead.json()).toEqual(reportJob('always-fails'));
    const h = (k: string) => dead.header.get(k);
    expect(h(DLQ_HEADERS.originStream)).toBe('REPORT');
    expect(h(DLQ_HEADERS.originSubject)).toBe('voc.report');
    expect(h(DLQ_HEADERS.originSeq)).toBe(String(pub.seq));
    expect(h(DLQ_HEADERS.originMsgId)).toBe('rep-fail');
    expect(h(DLQ_HEADERS.deliveries)).toBe('3');
    expect(h(DLQ_HEADERS.reason)).toBe('exhausted');
    expect(h(DLQ_HEADERS.error)).toBe('boom with a second line');
    expect(Date.now() - Date.parse(h(DLQ_HEADERS.failedAt))).toBeLessThan(60_000);
    expect(h('Nats-Msg-Id')).toBe(`dlq:REPORT:${pub.seq}`);
    expect(h('Trace-Id')).toBe('t-42');
    expect(runner.stats).toMatchObject({ retried: 2, deadLettered: 1, succeeded: 0 });
    expect(await metricValue(reg, 'messages_processed_total', { queue: 'REPORT', outcome: 'retry' })).toBe(2);
    expect(await metricValue(reg, 'dlq_moves_total', { queue: 'REPORT' })).toBe(1);
  });

  it('acks a message that succeeds after transient failures, and never dead-letters it', async () => {
    await publish(env.js, 'REPORT', reportJob('flaky'));
    const seen: number[] = [];
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'REPORT',
      concurrency: 1,
      log: silentLog,
      registry: registry(),
      handler: async (_job, ctx) => {
        seen.push(ctx.deliveryCount);
        if (ctx.deliveryCount < 3) throw new TransientError('provider 503', { retryAfterMs: 50 });
      },
    });
    runners.push(runner);
    await runner.start();
    await waitFor('success', () => runner.stats.succeeded === 1);
    expect(seen).toEqual([1, 2, 3]);
    await waitFor('the ack', async () => (await streamMessages(env.jsm, 'REPORT')) === 0);
    expect(await dlqCount(env.jsm, 'REPORT')).toBe(0);
  });

  it('dead-letters at once on PermanentError', async () => {
    await publish(env.js, 'REPORT', reportJob('permanent'));
    let calls = 0;
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'REPORT',
      concurrency: 1,
      log: silentLog,
      registry: registry(),
      handler: async () => {
        calls++;
        throw new PermanentError('product was deleted');
      },
    });
    runners.push(runner);
    await runner.start();
    // The dead letter is stored first, then the original acked: wait for both.
    await waitFor('the dead letter, and the original gone', async () => (await dlqCount(env.jsm, 'REPORT')) === 1 && (await streamMessages(env.jsm, 'REPORT')) === 0);
    const dead = await env.jsm.streams.getMessage(DLQ.stream, { last_by_subj: `${QUEUES.REPORT.dlqSubject}.permanent` });
    expect(dead.header.get(DLQ_HEADERS.reason)).toBe('permanent');
    expect(dead.header.get(DLQ_HEADERS.deliveries)).toBe('1');
    expect(calls).toBe(1);
  });

  it('sends an invalid payload straight to the DLQ without calling the handler', async () => {
    const te = new TextEncoder();
    await env.js.publish('voc.report', te.encode('not json at all'));
    await env.js.publish('voc.report', te.encode(JSON.stringify({ reportId: '', asin: 'B000TEST01' })));
    await publish(env.js, 'REPORT', reportJob('good'));
    const handled: ReportJob[] = [];
    const reg = registry();
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'REPORT',
      concurrency: 3,
      log: silentLog,
      registry: reg,
      handler: async (job) => {
        handled.push(job);
      },
    });
    runners.push(runner);
    await runner.start();
    await waitFor('two dead letters and one success', async () => (await dlqCount(env.jsm, 'REPORT')) === 2 && runner.stats.succeeded === 1);
    expect(handled).toEqual([reportJob('good')]);
    expect(runner.stats.invalid).toBe(2);
    const [first, second] = await listDeadLetters(env.jsm, 'REPORT');
    expect(first).toMatchObject({ reason: 'invalid-payload', deliveries: 1, body: 'not json at all', job: undefined });
    expect(first!.error).toMatch(/not JSON/);
    expect(second).toMatchObject({ reason: 'invalid-payload', job: { reportId: '', asin: 'B000TEST01' } });
    expect(second!.error).toMatch(/reportId/);
    expect(await metricValue(reg, 'messages_processed_total', { queue: 'REPORT', outcome: 'invalid' })).toBe(2);
    await waitFor('an empty work stream', async () => (await streamMessages(env.jsm, 'REPORT')) === 0);
  });

  it('keeps a job alive past ack_wait with working() heartbeats, backoff and all', async () => {
    await resetQueues(env.jsm, { LEARNING: { ackWaitMs: 1000, backoffMs: [1000, 2000], maxDeliver: 3 } });
    await publish(env.js, 'LEARNING', { jobId: 'j1', asin: 'B000TEST01', reason: 'new' });
    const deliveries: number[] = [];
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'LEARNING',
      concurrency: 2,
      heartbeatMs: 250,
      log: silentLog,
      registry: registry(),
      handler: async (_job, ctx) => {
        deliveries.push(ctx.deliveryCount);
        await sleep(3500); // 3.5 × ack_wait: a slow LLM call, or a wait for the limiter
      },
    });
    runners.push(runner);
    await runner.start();
    await waitFor('success', () => runner.stats.succeeded === 1);
    expect(deliveries).toEqual([1]);
    const ci = await env.jsm.consumers.info('LEARNING', 'learning');
    expect(ci.num_redelivered).toBe(0);
    expect(ci.delivered.consumer_seq).toBe(1);
  });

  it('refuses a heartbeat that would not beat ack_wait', async () => {
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'REPORT',
      concurrency: 1,
      heartbeatMs: 5000,
      log: silentLog,
      registry: registry(),
      handler: async () => {},
    });
    runners.push(runner);
    await expect(runner.start()).rejects.toThrow(/heartbeatMs \(5000\) must be below the ack_wait of REPORT\/report \(2000 ms\)/);
  });

  it('stop() lets in-flight work finish, hands back what does not, and the next runner gets it', async () => {
    await resetQueues(env.jsm, { REPORT: { ackWaitMs: 15_000, maxDeliver: 3, backoffMs: [] } });
    for (const id of ['fast-1', 'fast-2', 'slow-1', 'slow-2']) await publish(env.js, 'REPORT', reportJob(id));
    const finished: string[] = [];
    const aborted: string[] = [];
    const first = createConsumerRunner({
      nc: await env.connect('first'),
      queue: 'REPORT',
      concurrency: 4,
      shutdownTimeoutMs: 1000,
      log: silentLog,
      registry: registry(),
      handler: async (job, ctx) => {
        if (job.reportId.startsWith('r-fast')) {
          await sleep(300);
          finished.push(job.reportId);
          return;
        }
        // A slow job that honours the signal.
        await new Promise<void>((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted.push(job.reportId);
            reject(ctx.signal.reason as Error);
          }),
        );
      },
    });
    await first.start();
    await waitFor('all four in flight', () => first.inFlight() === 4);
    const t0 = Date.now();
    await first.stop();
    const stopMs = Date.now() - t0;
    expect(first.inFlight()).toBe(0);
    expect(finished.sort()).toEqual(['r-fast-1', 'r-fast-2']);
    expect(aborted.sort()).toEqual(['r-slow-1', 'r-slow-2']);
    expect(first.stats).toMatchObject({ succeeded: 2, released: 2 });
    expect(stopMs).toBeLessThan(10_000);
    // Stopped means stopped: a new message is not taken.
    await publish(env.js, 'REPORT', reportJob('after-stop'));
    await sleep(300);
    expect((await env.jsm.consumers.info('REPORT', 'report')).num_pending).toBe(1);

    const got: { id: string; delivery: number }[] = [];
    const gateAll = gate();
    const second = createConsumerRunner({
      nc: await env.connect('second'),
      queue: 'REPORT',
      concurrency: 4,
      log: silentLog,
      registry: registry(),
      handler: async (job, ctx) => {
        got.push({ id: job.reportId, delivery: ctx.deliveryCount });
        if (got.length === 3) gateAll.open();
      },
    });
    runners.push(second);
    const t1 = Date.now();
    await second.start();
    await gateAll.promise;
    // Nak'ed, not left to time out: back well before the 15 s ack_wait.
    expect(Date.now() - t1).toBeLessThan(10_000);
    expect(got.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'r-after-stop', delivery: 1 },
      { id: 'r-slow-1', delivery: 2 },
      { id: 'r-slow-2', delivery: 2 },
    ]);
  });
});
