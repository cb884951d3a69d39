/**
 * The send thread (issue 12 item 4): a granted request leaves at its slot's
 * time even while the event loop is busy, never before it, and not at all
 * once its window has closed; the client then gives the slot back as missed
 * and acquires again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import type { LlmSim } from '@voc/llm-sim';
import { createLlmClient, SendLateError, SendThread, type LlmGrant, type LlmLimiter } from '../src';
import { fetchInWindow } from '../src/send/window';
import { httpFetch } from '../src/http-fetch';
import { metricSum } from './support/client';
import { startTestSim } from './support/sim';
import { Registry } from 'prom-client';

/** Keeps this thread's event loop busy for `ms`, as a long callback or a GC pause does. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('SendThread', () => {
  let server: http.Server;
  let base: string;
  let arrivals: { at: number; method?: string; body: string; auth?: string }[] = [];
  const threads: SendThread[] = [];
  const thread = () => {
    const t = new SendThread();
    threads.push(t);
    return t;
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const at = performance.now();
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        arrivals.push({ at, method: req.method, body, auth: req.headers.authorization });
        res.writeHead(201, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-request-id': 'abc' });
        res.end(zlib.gzipSync(JSON.stringify({ echo: body })));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => (arrivals = []));
  afterAll(async () => {
    await Promise.all(threads.map((t) => t.close()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends the request as given at its sendAt, not before, and answers like httpFetch (status, headers, decoded body)', async () => {
    const t = thread();
    const sent: number[] = [];
    const sendAt = performance.now() + 80;
    // A wide window: the thread starts on this first use.
    const res = await t.fetch(`${base}/x`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: 'hello' }, { sendAt, sendBy: sendAt + 1000 }, (ms) => sent.push(ms));
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('abc');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ echo: 'hello' });
    expect(arrivals).toHaveLength(1);
    expect(arrivals[0]).toMatchObject({ method: 'POST', body: 'hello', auth: 'Bearer k' });
    expect(arrivals[0]!.at).toBeGreaterThanOrEqual(sendAt);
    expect(sent).toHaveLength(1);
    expect(t.size).toBe(0);
  });

  it('sends on time while this event loop is blocked, where sending from the event loop misses the window', async () => {
    const t = thread();
    const sent: number[] = [];
    // Started and warm, as a service starts it: the first request should not wait for the thread's start.
    t.start();
    await t.fetch(`${base}/warm`, { method: 'POST', body: 'warm' }, { sendAt: performance.now(), sendBy: performance.now() + 5000 });
    // A window wide enough for a loaded machine's scheduling, far shorter than the block.
    const window = () => {
      const sendAt = performance.now() + 40;
      return { sendAt, sendBy: sendAt + 60 };
    };
    const onThread = t.fetch(`${base}/busy`, { method: 'POST', body: 'a' }, window(), (ms) => sent.push(ms));
    block(300);
    const res = await onThread;
    expect(res.status).toBe(201);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeLessThanOrEqual(60);

    const onLoop = fetchInWindow(httpFetch, `${base}/busy`, { method: 'POST', body: 'b' }, window());
    block(300);
    await expect(onLoop).rejects.toBeInstanceOf(SendLateError);
    expect(arrivals.map((a) => a.body)).toEqual(['warm', 'a']);
  });

  it('refuses a request whose window has closed, sending nothing', async () => {
    const now = performance.now();
    const err = await thread()
      .fetch(`${base}/late`, { method: 'POST', body: 'x' }, { sendAt: now - 50, sendBy: now - 10 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendLateError);
    expect((err as SendLateError).lateMs).toBeGreaterThanOrEqual(50);
    await new Promise((r) => setTimeout(r, 50));
    expect(arrivals).toHaveLength(0);
  });

  it('rejects with an AbortError and sends nothing when aborted before its time', async () => {
    const ac = new AbortController();
    const sendAt = performance.now() + 100;
    const p = thread().fetch(`${base}/abort`, { method: 'POST', body: 'x', signal: ac.signal }, { sendAt, sendBy: sendAt + 10 });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 150));
    expect(arrivals).toHaveLength(0);
  });

  it('fails a request as a connection error when nothing listens', async () => {
    const now = performance.now();
    const err = await thread()
      .fetch('http://127.0.0.1:1/nothing', { method: 'POST', body: 'x' }, { sendAt: now, sendBy: now + 1000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('fetch failed');
  });

  it('fails what it holds when closed', async () => {
    const t = new SendThread();
    const sendAt = performance.now() + 500;
    const p = t.fetch(`${base}/closed`, { method: 'POST', body: 'x' }, { sendAt, sendBy: sendAt + 10 });
    const failed = expect(p).rejects.toThrow('fetch failed');
    await t.close();
    await failed;
  });
});

describe('the client with send windows', () => {
  let sim: LlmSim;
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => sim.stop());

  /** Grants whose first window has already closed (its sender got to it too late), the rest open. */
  function windowedLimiter() {
    const missed: number[] = [];
    let n = 0;
    const limiter: LlmLimiter = {
      async acquire(opts = {}) {
        const now = performance.now();
        const first = n++ === 0;
        const sendAt = first ? now - 30 : now + 20;
        const grant: LlmGrant = {
          tokens: opts.tokens ?? 0,
          probe: false,
          sendAt,
          sendBy: first ? now - 5 : sendAt + 1000,
          settle: () => undefined,
          cancel: () => undefined,
          missed: (ms) => missed.push(ms),
        };
        return grant;
      },
      pause: async () => undefined,
      halt: async () => undefined,
      resume: async () => undefined,
    };
    return { limiter, missed, acquires: () => n };
  }

  it.each([
    ['from the send thread', true],
    ['from the event loop', false],
  ])('gives a missed slot back and acquires again without spending a retry (%s)', async (_name, useThread) => {
    const { limiter, missed, acquires } = windowedLimiter();
    const registry = new Registry();
    const sendThread = useThread ? new SendThread() : undefined;
    const client = createLlmClient({ baseUrl: sim.baseUrl, apiKey: 'sim-key', model: 'qwen-plus-latest', limiter, service: 'send-test', registry, maxRetries: 0, ...(sendThread ? { sendThread } : {}) });
    try {
      const result = await client.chat({ kind: 'theme', messages: [{ role: 'user', content: 'Return JSON: {"themes": []}' }], jsonMode: true });
      expect(result.attempts).toBe(1);
      expect(acquires()).toBe(2);
      expect(missed).toHaveLength(1);
      expect(missed[0]).toBeGreaterThanOrEqual(30);
      expect(await metricSum(registry, 'llm_send_missed_total')).toBe(1);
      expect(await metricSum(registry, 'llm_send_lateness_seconds')).toBe(1);
      expect(sim.stats().requests).toBeGreaterThanOrEqual(1);
    } finally {
      await sendThread?.close();
    }
  });
});
