/**
 * Outages are not the message's fault, end to end through the consumer
 * runner: ingest-svc's handler under a runner with the worker's dependency
 * gate, while PostgreSQL refuses connections or hangs for longer than a
 * message's whole delivery budget. The upload is stored once it is back, on
 * its first delivery, and nothing reaches the DLQ.
 */
import { Registry } from 'prom-client';
import { createConsumerRunner, ensureConsumer, publish, QUEUES, type ConsumerRunner } from '@voc/messaging/testing';
import { handleIngest } from '../src';
import { reviews, startEnv, testGate, waitFor, type Env } from './support';

jest.setTimeout(90_000);

describe('ingest through a database outage', () => {
  let env: Env;
  let runner: ConsumerRunner | undefined;
  beforeAll(async () => {
    env = await startEnv();
  }, 60_000);
  beforeEach(async () => {
    // A tight budget: 2 deliveries, 3 s ack_wait, 50 ms retries. Retried on a clock, an outage of a few seconds would dead-letter the upload.
    await env.jsm.consumers.delete(QUEUES.INGEST.stream, QUEUES.INGEST.durable).catch(() => undefined);
    await ensureConsumer(env.jsm, 'INGEST', { ackWaitMs: 3000, maxDeliver: 2, backoffMs: [] });
  });
  afterEach(async () => {
    await runner?.stop();
    await env.pg.setMode('pass');
  });
  afterAll(() => env?.stop());

  async function run(asin: string, outage: () => Promise<void>) {
    const gate = testGate(env);
    const deliveries: number[] = [];
    runner = createConsumerRunner({
      nc: env.nc,
      queue: 'INGEST',
      concurrency: 2,
      log: env.deps.log,
      registry: new Registry(),
      gate,
      retry: { baseMs: 50, maxMs: 50 },
      handler: async (job, ctx) => {
        deliveries.push(ctx.deliveryCount);
        await handleIngest(env.deps, job);
      },
    });
    await runner.start();
    await outage();
    await publish(env.deps.js, 'INGEST', { uploadId: `up-${asin}`, asin, reviews: reviews(5) });
    await waitFor('the upload held', () => runner!.status().state === 'waiting', 20_000);
    return { gate, deliveries };
  }

  it('holds an upload while PostgreSQL refuses connections far longer than its delivery budget, then stores it', async () => {
    const { gate, deliveries } = await run('B0OUTAGE01', () => env.pg.setMode('refuse'));
    await new Promise((r) => setTimeout(r, 8000));
    expect(runner!.status()).toMatchObject({ state: 'waiting', heldForOutage: 1, waitingFor: [expect.objectContaining({ dependency: 'postgres' })] });
    await env.pg.setMode('pass');
    await waitFor('stored', async () => (await env.db.review.count({ where: { asin: 'B0OUTAGE01' } })) === 5, 20_000);
    await waitFor('acked', () => runner!.stats.succeeded === 1);
    expect(new Set(deliveries)).toEqual(new Set([1]));
    expect(runner!.stats).toMatchObject({ retried: 0, deadLettered: 0 });
    expect(await dlq(env)).toBe(0);
    gate.close();
  });

  it('holds an upload while PostgreSQL hangs (every query ends in its timeout), then stores it', async () => {
    const { gate, deliveries } = await run('B0OUTAGE02', () => env.pg.setMode('hang'));
    await new Promise((r) => setTimeout(r, 3000));
    await env.pg.setMode('pass');
    await waitFor('stored', async () => (await env.db.review.count({ where: { asin: 'B0OUTAGE02' } })) === 5, 30_000);
    await waitFor('acked', () => runner!.stats.succeeded === 1);
    expect(new Set(deliveries)).toEqual(new Set([1]));
    expect(await dlq(env)).toBe(0);
    gate.close();
  });
});

async function dlq(env: Env): Promise<number> {
  const info = await env.jsm.streams.info('DLQ', { subjects_filter: 'voc.dlq.>' });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}
