import { connect, RetentionPolicy, nanos } from 'nats';
import { DLQ, QUEUE_NAMES, QUEUES, consumerConfig, ensureConsumer, ensureStreams } from '../src/testing';
import { startEnv, type Env } from './support';

jest.setTimeout(60_000);

describe('provisioning', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(() => env.teardown());

  it('creates every work-queue stream and the DLQ, and running it again changes nothing', async () => {
    const first = await ensureStreams(env.jsm);
    const second = await ensureStreams(env.jsm);
    expect(second.map((s) => s.created)).toEqual(first.map((s) => s.created));
    expect(second.map((s) => s.config)).toEqual(first.map((s) => s.config));
    for (const q of QUEUE_NAMES) {
      const info = await env.jsm.streams.info(QUEUES[q].stream);
      expect(info.config.retention).toBe(RetentionPolicy.Workqueue);
      expect(info.config.subjects).toEqual([QUEUES[q].subject]);
      expect(info.config.duplicate_window).toBe(nanos(120_000));
    }
    const dlq = await env.jsm.streams.info(DLQ.stream);
    expect(dlq.config.retention).toBe(RetentionPolicy.Limits);
    expect(dlq.config.subjects).toEqual(['voc.dlq.>']);
  });

  it('succeeds when several processes provision streams and consumers at once', async () => {
    for (const q of QUEUE_NAMES) {
      for await (const ci of env.jsm.consumers.list(QUEUES[q].stream)) await env.jsm.consumers.delete(QUEUES[q].stream, ci.name);
    }
    for (const s of [...QUEUE_NAMES.map((q) => QUEUES[q].stream), DLQ.stream]) await env.jsm.streams.delete(s);
    const conns = await Promise.all([1, 2, 3, 4].map((i) => connect({ servers: env.stack.natsUrl, name: `p${i}` })));
    try {
      await Promise.all(
        conns.map(async (nc) => {
          const jsm = await nc.jetstreamManager();
          await ensureStreams(jsm);
          for (const q of QUEUE_NAMES) await ensureConsumer(jsm, q);
        }),
      );
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
    for (const q of QUEUE_NAMES) {
      const names: string[] = [];
      for await (const ci of env.jsm.consumers.list(QUEUES[q].stream)) names.push(ci.name);
      expect(names).toEqual([QUEUES[q].durable]);
    }
  });

  it('converges an existing stream and consumer to new settings', async () => {
    await ensureStreams(env.jsm, { duplicateWindowMs: 60_000 });
    expect((await env.jsm.streams.info('INGEST')).config.duplicate_window).toBe(nanos(60_000));
    await ensureStreams(env.jsm);
    expect((await env.jsm.streams.info('INGEST')).config.duplicate_window).toBe(nanos(120_000));

    const ci = await ensureConsumer(env.jsm, 'TRANSLATE', { ackWaitMs: 5000, maxDeliver: 7, maxAckPending: 42 });
    expect(ci.config).toMatchObject({
      durable_name: 'translate',
      ack_wait: nanos(5000),
      max_deliver: 7,
      max_ack_pending: 42,
      backoff: [nanos(5000), nanos(10_000), nanos(20_000)],
    });
    // A borrower (update: false) leaves the owner's settings alone.
    const borrowed = await ensureConsumer(env.jsm, 'TRANSLATE', {}, { update: false });
    expect(borrowed.config.max_ack_pending).toBe(42);
    const back = await ensureConsumer(env.jsm, 'TRANSLATE');
    expect(back.config.ack_wait).toBe(nanos(QUEUES.TRANSLATE.consumer.ackWaitMs));
    expect(back.config.max_ack_pending).toBe(QUEUES.TRANSLATE.consumer.maxAckPending);
  });

  it('explains a stream whose retention cannot be changed in place', async () => {
    await env.jsm.streams.delete('REPORT');
    await env.jsm.streams.add({ name: 'REPORT', subjects: ['voc.report'], retention: RetentionPolicy.Limits });
    await expect(ensureStreams(env.jsm)).rejects.toThrow(/stream REPORT has retention limits, wanted workqueue/);
    await env.jsm.streams.delete('REPORT');
    await ensureStreams(env.jsm);
  });
});

describe('consumerConfig', () => {
  it('makes backoff[0] the ack wait, as NATS 2.9 requires', () => {
    const c = consumerConfig('INSIGHT', { ackWaitMs: 1500 });
    expect(c.ack_wait).toBe(nanos(1500));
    expect(c.backoff?.[0]).toBe(nanos(1500));
    expect(consumerConfig('INSIGHT', { backoffMs: [800, 1600] }).ack_wait).toBe(nanos(800));
    expect(consumerConfig('INSIGHT', { backoffMs: [] }).backoff).toBeUndefined();
  });

  it('rejects settings the server would refuse or misread', () => {
    expect(() => consumerConfig('INSIGHT', { ackWaitMs: 1000, backoffMs: [2000] })).toThrow(/backoffMs\[0\] \(2000\) must equal ackWaitMs \(1000\)/);
    expect(() => consumerConfig('INSIGHT', { maxDeliver: 2, backoffMs: [1000, 2000] })).toThrow(/need maxDeliver > 2/);
    expect(() => consumerConfig('INSIGHT', { ackWaitMs: 0 })).toThrow(/ackWaitMs must be > 0/);
  });
});
