import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { createLogger } from '@voc/service-kit';
import { startTestStack, type TestStack } from '@voc/local-stack';
import {
  DLQ,
  QUEUE_NAMES,
  QUEUES,
  ensureConsumer,
  ensureStreams,
  type ConsumerOverrides,
  type ConsumerRunner,
  type QueueName,
} from '../../src/testing';

export const silentLog = createLogger('messaging-test', 'silent');

/** Short timings so redeliveries happen within a test; no backoff unless a test asks. */
export const TEST_CONSUMER: ConsumerOverrides = { ackWaitMs: 2000, maxDeliver: 3, backoffMs: [] };

export interface Env {
  stack: TestStack;
  nc: NatsConnection;
  jsm: JetStreamManager;
  js: JetStreamClient;
  /** Extra connections (a "second process"); closed by teardown. */
  connect(name?: string): Promise<NatsConnection>;
  teardown(): Promise<void>;
}

/** One real nats-server per test file; call in beforeAll. */
export async function startEnv(): Promise<Env> {
  const stack = await startTestStack({ nats: true });
  const extra: NatsConnection[] = [];
  const nc = await connect({ servers: stack.natsUrl, name: 'test' });
  const jsm = await nc.jetstreamManager();
  await ensureStreams(jsm);
  return {
    stack,
    nc,
    jsm,
    js: nc.jetstream(),
    async connect(name = 'test-extra') {
      const c = await connect({ servers: stack.natsUrl, name });
      extra.push(c);
      return c;
    },
    async teardown() {
      for (const c of [...extra, nc]) if (!c.isClosed()) await c.close();
      await stack.stop();
    },
  };
}

/** Empties every stream and recreates each durable with test settings. */
export async function resetQueues(
  jsm: JetStreamManager,
  overrides: Partial<Record<QueueName, ConsumerOverrides>> = {},
): Promise<void> {
  for (const q of QUEUE_NAMES) {
    const { stream } = QUEUES[q];
    for await (const ci of jsm.consumers.list(stream)) await jsm.consumers.delete(stream, ci.name);
    await jsm.streams.purge(stream);
    await ensureConsumer(jsm, q, { ...TEST_CONSUMER, ...overrides[q] });
  }
  await jsm.streams.purge(DLQ.stream);
}

export function registry(): Registry {
  return new Registry();
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A promise with its resolve function, to release blocked handlers. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export async function streamMessages(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

export async function dlqCount(jsm: JetStreamManager, queue: QueueName): Promise<number> {
  const info = await jsm.streams.info(DLQ.stream, { subjects_filter: `${QUEUES[queue].dlqSubject}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** A report job; ids must differ between tests, or the default msgId dedupes them. */
export function reportJob(i: number | string) {
  return { reportId: `r-${i}`, asin: 'B000TEST01' };
}

/**
 * The common frame of a runner spec: one nats-server for the file, every
 * queue emptied and its durable recreated before each test (with
 * `overrides`), and the runners a test pushed to `runners` stopped after it.
 * Call at the top of a describe.
 */
export function useQueues(overrides: Partial<Record<QueueName, ConsumerOverrides>> = {}): { env: Env; runners: ConsumerRunner[] } {
  let current: Env | undefined;
  const runners: ConsumerRunner[] = [];
  const get = (): Env => {
    if (!current) throw new Error('useQueues: nats-server not started (used outside a test?)');
    return current;
  };
  beforeAll(async () => {
    current = await startEnv();
  });
  afterAll(() => current?.teardown());
  beforeEach(() => resetQueues(get().jsm, overrides));
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  const env: Env = {
    get stack() {
      return get().stack;
    },
    get nc() {
      return get().nc;
    },
    get jsm() {
      return get().jsm;
    },
    get js() {
      return get().js;
    },
    connect: (name) => get().connect(name),
    teardown: () => get().teardown(),
  };
  return { env, runners };
}

/** `fn` again every 250 ms until it succeeds or `timeoutMs` passed (a cluster electing its leaders). */
export async function retry<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(250);
    }
  }
}

/**
 * The streams (3 replicas) and the REPORT consumer on a new cluster, through `nc`;
 * retried while the cluster elects its meta leader. Returns the manager.
 */
export async function provisionClusterReports(nc: NatsConnection): Promise<JetStreamManager> {
  // jetstreamManager() asks for the account info: retried until the cluster has elected its meta leader.
  const jsm = await retry('JetStream on a new cluster', () => nc.jetstreamManager(), 60_000);
  await retry('provisioning on a new cluster', () => ensureStreams(jsm, { replicas: 3 }));
  await retry('the REPORT consumer', () => ensureConsumer(jsm, 'REPORT', { ackWaitMs: 5000, maxDeliver: 5, backoffMs: [] }));
  return jsm;
}
