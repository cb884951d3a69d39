import { setTimeout as delay } from 'node:timers/promises';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import Redis from 'ioredis';
import { createDbClient, type PrismaClient } from '@voc/db';
import { applyMigrations } from '@voc/db/migrate';
import { createLlmClient, type LlmClient, type LlmLimiter } from '@voc/llm';
import { startFaultProxy, startTestStack, type FaultProxy, type TestStack } from '@voc/local-stack';
import {
  createDependencyGate,
  decodeJob,
  ensureConsumer,
  ensureStreams,
  QUEUE_NAMES,
  QUEUES,
  type DependencyGate,
  type IngestJob,
  type JobOf,
  type QueueName,
} from '@voc/messaging/testing';
import { createLogger } from '@voc/service-kit';
import { dependencyOf, handleIngest, type PipelineDeps, type StageContext } from '../../src';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../../src/settings';
import { startTestLlm, type TestLlm } from './llm';

export { REFUSED_MARKER, startTestLlm, type LlmMode, type TestLlm } from './llm';

export interface Env {
  stack: TestStack;
  /** Through `pg`, the fault proxy in front of PostgreSQL: outages on demand. */
  db: PrismaClient;
  pg: FaultProxy;
  nc: NatsConnection;
  jsm: JetStreamManager;
  redis: Redis;
  deps: PipelineDeps;
  /** Present when started with `{ llm: true }`. */
  llm?: TestLlm;
  stop(): Promise<void>;
}

export interface EnvOptions {
  /** Start the test provider (llm-sim behind a fault front) and give deps an LLM client. */
  llm?: boolean;
  settings?: Partial<PipelineSettings>;
}

/**
 * Real NATS + Redis + PostgreSQL (migrated, reached through a fault proxy
 * with short deadlines), streams and consumers provisioned; with `llm`, the
 * test provider and a client that retries once, quickly.
 */
export async function startEnv(opts: EnvOptions = {}): Promise<Env> {
  const stack = await startTestStack();
  await applyMigrations(stack.databaseUrl);
  const pg = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(stack.databaseUrl).port) });
  const db = createDbClient({ url: pg.url(stack.databaseUrl), poolSize: 4, acquireTimeoutMs: 5000, queryTimeoutMs: 5000 });
  const nc = await connect({ servers: stack.natsUrl });
  const jsm = await nc.jetstreamManager();
  await ensureStreams(jsm);
  for (const q of QUEUE_NAMES) await ensureConsumer(jsm, q);
  const redis = new Redis(stack.redisUrl);
  const log = createLogger('test', 'silent');
  const llm = opts.llm ? await startTestLlm() : undefined;
  const client = llm ? testLlmClient(llm.baseUrl) : undefined;
  const settings = { ...DEFAULT_PIPELINE_SETTINGS, ...opts.settings };
  const deps: PipelineDeps = { db, js: nc.jetstream(), log, settings, redis, ...(client ? { llm: client } : {}) };
  return {
    stack,
    db,
    pg,
    nc,
    jsm,
    redis,
    deps,
    ...(llm ? { llm } : {}),
    async stop() {
      redis.disconnect();
      await nc.close();
      await db.$disconnect();
      await llm?.stop();
      await pg.stop();
      await stack.stop();
    },
  };
}

/** Grants at once, never pauses or halts: these tests decide the provider's faults, not the budget. */
const unlimited: LlmLimiter = {
  acquire: async (opts) => ({ tokens: opts?.tokens ?? 0, probe: false, settle: () => undefined, cancel: () => undefined }),
  pause: async () => undefined,
  halt: async () => undefined,
  resume: async () => undefined,
};

/** An LLM client without a rate limit, retrying once after 10–50 ms (the tests decide the provider's faults). */
export function testLlmClient(baseUrl: string): LlmClient {
  return createLlmClient({
    baseUrl,
    apiKey: 'sim-key',
    model: 'qwen-plus-latest',
    service: 'pipeline-test',
    limiter: unlimited,
    maxRetries: 1,
    timeoutMs: 5000,
    retryPolicy: { baseDelayMs: { vip: 10, normal: 10 }, maxDelayMs: { vip: 50, normal: 50 } },
  });
}

/** A handler context as the runner gives it (first delivery unless told). */
export function stageContext(over: Partial<StageContext> = {}): StageContext {
  return { signal: new AbortController().signal, isLastDelivery: false, ...over };
}

/** The dependency gate a worker has (dependencyOf, PostgreSQL probed through the proxy), with fast probes. */
export function testGate(env: Env): DependencyGate {
  return createDependencyGate({
    classify: dependencyOf,
    probes: { postgres: () => env.db.$queryRaw`SELECT 1` },
    log: env.deps.log,
    probeIntervalMs: { min: 100, max: 500 },
    probeTimeoutMs: 3000,
  });
}

/** A context whose writes wait out outages through `gate`, as under a runner with a gate. */
export function gatedContext(gate: DependencyGate, over: Partial<StageContext> = {}): StageContext {
  return { ...stageContext(over), retryOnOutage: (fn) => gate.retry(fn) };
}

/** Every job stored in a queue's stream, without consuming it. */
export async function jobsIn<Q extends QueueName>(nc: NatsConnection, queue: Q): Promise<JobOf<Q>[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(QUEUES[queue].stream);
  const out: JobOf<Q>[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    try {
      const m = await jsm.streams.getMessage(QUEUES[queue].stream, { seq });
      const d = decodeJob(queue, m.data);
      if (d.ok) out.push(d.job);
    } catch {
      // a deleted sequence (acked work): nothing to read there
    }
  }
  return out;
}

export const ago = (ms: number) => new Date(Date.now() - ms);

/** `n` ordinary reviews (bodies long enough to be analysed, different enough to be told apart). */
export function reviews(n: number, prefix = 'r'): IngestJob['reviews'] {
  const topics = ['battery', 'screen', 'price', 'size', 'sound', 'delivery', 'quality', 'setup'];
  return Array.from({ length: n }, (_, i) => ({
    reviewId: `${prefix}${i + 1}`,
    rating: (i % 5) + 1,
    body: `Review ${i + 1}: the ${topics[i % topics.length]} is ${i % 2 ? 'great' : 'disappointing'}, and I use it every day at home with my kids.`,
    helpfulVotes: i,
  }));
}

let uploads = 0;

/** Stores `list` for `asin` through the ingest handler, as one upload. */
export async function ingest(env: Env, asin: string, list: IngestJob['reviews'], product?: IngestJob['product']) {
  return handleIngest(env.deps, { uploadId: `up-${asin}-${++uploads}`, asin, reviews: list, ...(product ? { product } : {}) });
}

/** Reviews of `asin` with their stage statuses, by reviewId. */
export async function statuses(db: PrismaClient, asin: string) {
  const rows = await db.review.findMany({ where: { asin }, orderBy: { id: 'asc' } });
  return Object.fromEntries(rows.map((r) => [r.reviewId, { translate: r.translateStatus, insight: r.insightStatus, theme: r.themeStatus, refused: r.refusedReason }]));
}

/** Waits until `cond` holds, polling every 50 ms. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await cond())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

/**
 * The env for one spec file: started before its tests, the provider put back
 * to `ok` and PostgreSQL to `pass` after each, stopped after all. Call at
 * the top of a describe; read `.env` inside tests.
 */
export function useEnv(opts: EnvOptions = {}): { readonly env: Env } {
  let env: Env | undefined;
  beforeAll(async () => {
    env = await startEnv(opts);
  }, 60_000);
  afterEach(async () => {
    if (env?.llm) env.llm.mode = 'ok';
    await env?.pg.setMode('pass');
  });
  afterAll(() => env?.stop());
  return {
    get env() {
      if (!env) throw new Error('useEnv: not started (used outside a test?)');
      return env;
    },
  };
}

/**
 * The env's LLM client, calling `after(n)` once its n-th answer has come back
 * (e.g. to take the database away while results are in hand).
 */
export function llmWithHook(env: Env, after: (answers: number) => void | Promise<void>): LlmClient {
  const llm = env.deps.llm!;
  let answers = 0;
  return {
    ...llm,
    chatParsed: async (req, parse) => {
      const r = await llm.chatParsed(req, parse);
      await after(++answers);
      return r;
    },
  };
}

/** The error `p` rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
