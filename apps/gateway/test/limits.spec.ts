import { connect } from 'node:net';
import path from 'node:path';
import Redis from 'ioredis';
import { ensureBinaries, startRedis, type RunningServer } from '@voc/local-stack';
import { eventually, makeReviews, messageCount, startHarness, type Harness } from './support';

jest.setTimeout(120_000);

const ASIN = 'B00LIMITS1';
const ALICE = 'alice-secret-0123456789';
const BOB = 'bob-secret-0123456789';
const CAROL = 'carol-secret-0123456789';
const DAVE = 'dave-secret-0123456789';
const RPS = 5;
const PER_DAY = 30;
let h: Harness;
let restarted: RunningServer | undefined;

beforeAll(async () => {
  h = await startHarness({
    GATEWAY_API_KEYS: `alice:${ALICE},bob:${BOB},carol:${CAROL},dave:${DAVE}`,
    GATEWAY_KEY_RPS: String(RPS),
    GATEWAY_KEY_REVIEWS_PER_DAY: String(PER_DAY),
    // A Redis paused for a moment (below) is waited for, not failed open.
    GATEWAY_KEY_LIMIT_TIMEOUT_MS: '5000',
  });
});
afterAll(async () => {
  await h?.stop();
  await restarted?.stop();
});

const upload = (key: string, reviews: unknown[]) => h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', key, json: { reviews } });

describe('per-key limits', () => {
  it('answers a burst from one key with 429 and Retry-After while another key is served', async () => {
    // The bucket holds 2 × RPS: a burst of 4 × RPS at once overflows it.
    const t0 = Date.now();
    const burst = await Promise.all(Array.from({ length: 4 * RPS }, () => h.api('/v1/keys/me', { key: ALICE })));
    // The bucket refills RPS tokens per second while the burst is under way.
    const refill = Math.ceil((RPS * (Date.now() - t0)) / 1000);
    const served = burst.filter((r) => r.status === 200).length;
    expect(served).toBeGreaterThanOrEqual(2 * RPS);
    expect(served).toBeLessThanOrEqual(2 * RPS + refill);
    const refused = burst.filter((r) => r.status === 429);
    expect(refused.length).toBe(4 * RPS - served);
    const body = await refused[0]!.json();
    expect(body.error.code).toBe('rate_limited');
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Bob's bucket is his own.
    const bob = await h.api('/v1/keys/me', { key: BOB });
    expect(bob.status).toBe(200);
    expect((await bob.json()).keyId).toBe('bob');
    // And Alice is served again once a token has refilled (1 / RPS s).
    await new Promise((r) => setTimeout(r, 1000));
    expect((await h.api('/v1/keys/me', { key: ALICE })).status).toBe(200);
    expect(await h.metrics()).toMatch(/gateway_key_limited_total\{key="alice",reason="rate_limited"[^}]*\} [1-9]/);
  });

  it('counts accepted reviews per key and day, refusing the upload that would exceed the quota without enqueuing it', async () => {
    await new Promise((r) => setTimeout(r, 2000)); // refill Bob's bucket
    expect((await upload(BOB, makeReviews(20, 'bob-a'))).status).toBe(202);
    const before = await messageCount(h.jsm, 'INGEST');
    const over = await upload(BOB, makeReviews(11, 'bob-b'));
    expect(over.status).toBe(429);
    expect((await over.json()).error.code).toBe('quota_exceeded');
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(86_400);
    expect(await messageCount(h.jsm, 'INGEST')).toBe(before);
    // What fits is still accepted; the other key's quota is untouched.
    expect((await upload(BOB, makeReviews(10, 'bob-c'))).status).toBe(202);
    expect((await upload(ALICE, makeReviews(11, 'alice-a'))).status).toBe(202);
    const me = await (await h.api('/v1/keys/me', { key: BOB })).json();
    expect(me).toMatchObject({
      keyId: 'bob',
      limits: { requestsPerSecond: RPS, burst: 2 * RPS, reviewsPerDay: PER_DAY },
      usage: { mode: 'redis', reviewsToday: 30, day: new Date().toISOString().slice(0, 10) },
      webhook: null,
    });
    expect(me.usage.requestsAvailable).toBeGreaterThanOrEqual(0);
  });

  it('labels requests and reviews with the key id in metrics, never the secret', async () => {
    const text = await h.metrics();
    expect(text).toMatch(/gateway_reviews_accepted_total\{key="bob"[^}]*\} 30/);
    expect(text).toMatch(/gateway_http_requests_total\{method="GET",route="\/v1\/keys\/me",status="200",key="alice"/);
    expect(text).not.toContain(ALICE);
    expect(text).not.toContain(BOB);
  });

  it('never lets more through than the bucket holds on one replica, though a key with tokens to spare skips the wait', async () => {
    // One answer known (2 × RPS - 1 tokens left), then a burst while Redis is paused, so that every
    // request arrives before any answer: those this replica's count shows tokens to spare for go on
    // at once (a product read needs PostgreSQL only), the rest wait for Redis. Together: the bucket.
    expect((await h.api('/v1/keys/me', { key: DAVE })).status).toBe(200);
    const redis = h.stack.servers.find((s) => s.url === h.stack.redisUrl)!;
    const t0 = Date.now();
    redis.pause();
    let burst: Response[];
    try {
      let answered = 0;
      const pending = Array.from({ length: 4 * RPS }, () => h.api(`/v1/products/${ASIN}`, { key: DAVE }).then((r) => (answered++, r)));
      // Answered while Redis is still paused: they did not wait for it; the others do.
      const deadline = Date.now() + 3000;
      while (answered < 2 * RPS - 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(2 * RPS - 2);
      redis.resume();
      burst = await Promise.all(pending);
    } finally {
      redis.resume();
    }
    const refill = Math.ceil((RPS * (Date.now() - t0)) / 1000);
    const served = burst.filter((r) => r.status !== 429).length;
    expect(served).toBeGreaterThanOrEqual(2 * RPS - 1);
    expect(served).toBeLessThanOrEqual(2 * RPS - 1 + refill);
    expect(burst.filter((r) => r.status === 429).length).toBe(4 * RPS - served);
  });

  it('lets a key with tokens to spare through without waiting for Redis, and refuses a key at its limit before reading its body', async () => {
    // Two answers on this replica: Carol's bucket (2 × RPS) still holds plenty.
    for (let i = 0; i < 2; i++) expect((await h.api('/v1/keys/me', { key: CAROL })).status).toBe(200);
    // Another replica empties the bucket meanwhile (as Redis sees it: tokens 0, now).
    const redis = new Redis(h.stack.redisUrl);
    try {
      const [s, us] = await redis.time();
      await redis.hset('voc:gw:key:carol:bucket', 'tokens', '0', 'at', String(Number(s) * 1000 + Math.floor(Number(us) / 1000)));
    } finally {
      redis.disconnect();
    }
    const before = await messageCount(h.jsm, 'INGEST');
    // This replica's count said "plenty to spare": admitted without waiting (the slack between
    // replicas the README states), and Redis' answer to its token brings the news.
    expect((await upload(CAROL, makeReviews(3, 'carol-a'))).status).toBe(202);
    expect(await messageCount(h.jsm, 'INGEST')).toBe(before + 1);
    // Now known to be at its limit: refused before its body is read. The request announces a body
    // it never sends; an answer proves nobody waited for it.
    const head = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(new URL(h.base).port), '127.0.0.1');
      let got = '';
      const t = setTimeout(() => (sock.destroy(), reject(new Error(`no answer without the body; got ${JSON.stringify(got)}`))), 5000);
      sock.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          clearTimeout(t);
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
      sock.write(`POST /v1/products/${ASIN}/reviews HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CAROL}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
    });
    expect(head).toMatch(/^HTTP\/1\.1 429 /);
    expect(head.toLowerCase()).toContain('connection: close');
    expect(await messageCount(h.jsm, 'INGEST')).toBe(before + 1);
    expect((await h.api('/v1/keys/me', { key: CAROL })).status).toBe(429);
  });

  it('fails open while Redis is down: requests are served, the state is shown, uploads stay ready; enforced again once it is back', async () => {
    const redis = h.stack.servers.find((s) => s.url === h.stack.redisUrl)!;
    await redis.stop();
    const me = await h.api('/v1/keys/me', { key: ALICE });
    expect(me.status).toBe(200);
    expect((await me.json()).usage).toMatchObject({ mode: 'degraded', requestsAvailable: null, reviewsToday: null });
    // Neither the rate nor the (spent) quota is enforced meanwhile.
    const many = await Promise.all(Array.from({ length: 4 * RPS }, (_, i) => upload(BOB, makeReviews(1, `open-${i}`))));
    expect(many.map((r) => r.status)).toEqual(many.map(() => 202));
    expect(await h.metrics()).toMatch(/gateway_key_limits_degraded\{[^}]*\} 1/);
    expect((await h.api('/readyz/uploads', { auth: false })).status).toBe(200);
    expect((await h.api('/readyz', { auth: false })).status).toBe(503);

    // Same port, empty state: the limits apply again (a new day's count, a full bucket).
    restarted = await startRedis(ensureBinaries(), { port: redis.port, dataDir: path.join(h.stack.dataDir, 'redis-again') });
    await eventually('the limits to be enforced again', async () => ((await (await h.api('/v1/keys/me', { key: BOB })).json()).usage?.mode === 'redis' ? true : undefined));
    expect(await h.metrics()).toMatch(/gateway_key_limits_degraded\{[^}]*\} 0/);
    // Enforced: at most the bucket plus what refilled while the burst was under way is served
    // (counted like the first test, so a slow, loaded machine cannot make this pass or fail by luck).
    const t1 = Date.now();
    const again = await Promise.all(Array.from({ length: 10 * RPS }, () => h.api('/v1/keys/me', { key: ALICE })));
    const refilled = Math.ceil((RPS * (Date.now() - t1)) / 1000);
    expect(again.filter((r) => r.status === 200).length).toBeLessThanOrEqual(Math.min(10 * RPS - 1, 2 * RPS + refilled));
  });
});
