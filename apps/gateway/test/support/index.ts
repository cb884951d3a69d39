/**
 * One real gateway per test file: NATS, Redis and PostgreSQL from
 * startTestStack, the database migrated, the service composed exactly as
 * main.ts does (runService + startGateway) on a free port. The test keeps its
 * own NATS connection and Prisma client to look behind the API.
 */
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { createDbClient, type PrismaClient } from '@voc/db';
import { applyMigrations } from '@voc/db/migrate';
import { startTestStack, type TestStack } from '@voc/local-stack';
import type { IngestJob } from '@voc/messaging';
import { runService, type RunningService } from '@voc/service-kit';
import { loadGatewayConfig } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/service';

export const API_KEY = 'test-key-0123456789abcdef';
export const OTHER_KEY = 'second-key-for-rotation';

/** Response bodies in tests are checked field by field, so they are loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;
export type ApiResponse = Omit<Response, 'json'> & { json(): Promise<Body> };

export interface Harness {
  stack: TestStack;
  base: string;
  /** Where /metrics is served (its own port). */
  metricsBase: string;
  svc: RunningService;
  gateway: RunningGateway;
  /** The test's own connections. */
  nc: NatsConnection;
  jsm: JetStreamManager;
  db: PrismaClient;
  /** fetch with the API key (`key` for another one, `auth: false` to leave it out). */
  api(path: string, init?: RequestInit & { auth?: boolean; key?: string; json?: unknown }): Promise<ApiResponse>;
  /** The metrics page (on the metrics port). */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  process.env.LOG_LEVEL ??= 'silent';
  const stack = await startTestStack();
  let svc: RunningService | undefined;
  let nc: NatsConnection | undefined;
  let db: PrismaClient | undefined;
  try {
    await applyMigrations(stack.databaseUrl);
    const cfg = loadGatewayConfig({
      NATS_URL: stack.natsUrl,
      REDIS_URL: stack.redisUrl,
      DATABASE_URL: stack.databaseUrl,
      DB_POOL_SIZE: '4',
      GATEWAY_API_KEYS: `${API_KEY},${OTHER_KEY}`,
      GATEWAY_METRICS_PORT: '0',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    });
    let gateway: RunningGateway | undefined;
    svc = await runService({
      name: 'gateway',
      port: 0,
      metricsPort: cfg.GATEWAY_METRICS_PORT,
      host: '127.0.0.1',
      // As main.ts: the in-flight drain gives up before the hard deadline.
      shutdownTimeoutMs: cfg.SHUTDOWN_TIMEOUT_MS + 5000,
      handleSignals: false,
      start: async (ctx) => {
        gateway = await startGateway(ctx, cfg);
      },
    });
    nc = await connect({ servers: stack.natsUrl, name: 'gateway-test', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const jsm = await nc.jetstreamManager();
    db = createDbClient({ url: stack.databaseUrl, poolSize: 2 });
    const base = `http://127.0.0.1:${svc.port}`;
    const running = { svc, nc, db };
    return {
      stack,
      base,
      metricsBase: `http://127.0.0.1:${svc.metricsPort}`,
      svc,
      gateway: gateway!,
      nc,
      jsm,
      db,
      api(path, init = {}) {
        const { auth = true, key = API_KEY, json, ...rest } = init;
        const headers = new Headers(rest.headers);
        if (auth) headers.set('Authorization', `Bearer ${key}`);
        if (json !== undefined) headers.set('Content-Type', 'application/json');
        return fetch(`${base}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body }) as Promise<ApiResponse>;
      },
      async metrics() {
        return (await fetch(`http://127.0.0.1:${running.svc.metricsPort}/metrics`)).text();
      },
      async stop() {
        await running.svc.stop('test done');
        if (!running.nc.isClosed()) await running.nc.close();
        await running.db.$disconnect();
        await stack.stop();
      },
    };
  } catch (err) {
    await svc?.stop('start-up failed').catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await db?.$disconnect().catch(() => undefined);
    await stack.stop();
    throw err;
  }
}

/** Messages stored in a stream, oldest first, decoded. */
export async function streamMessages<T = IngestJob>(jsm: JetStreamManager, stream: string): Promise<{ seq: number; msgId: string | undefined; bytes: number; job: T }[]> {
  const { state } = await jsm.streams.info(stream);
  const out: { seq: number; msgId: string | undefined; bytes: number; job: T }[] = [];
  if (state.messages === 0) return out;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    try {
      const m = await jsm.streams.getMessage(stream, { seq });
      out.push({ seq, msgId: m.header?.get('Nats-Msg-Id') || undefined, bytes: m.data.length, job: m.json<T>() });
    } catch {
      // a deleted sequence (acked work-queue message): nothing stored there
      continue;
    }
  }
  return out;
}

export async function messageCount(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

export const makeReviews = (n: number, prefix = 'R', body = (i: number) => `Review number ${i}: works fine, battery lasts.`) =>
  Array.from({ length: n }, (_, i) => ({ reviewId: `${prefix}${i}`, rating: (i % 5) + 1, body: body(i) }));

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
