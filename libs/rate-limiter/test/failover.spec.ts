import { ensureBinaries, startRedis, type RunningServer } from '@voc/local-stack';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createRateLimiter, limiterKeys, maxInSlidingWindow } from '../src';
import { Clients, Load, metricValue, QUICK, sleep, waitFor } from './support';

jest.setTimeout(90_000);

// A Redis of its own with the append-only file on, as in production.
let dataDir: string;
let redis: RunningServer | undefined;
let clients: Clients;
let port: number;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'voc-limiter-failover-'));
  const { createServer } = await import('node:net');
  port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  redis = await startRedis(ensureBinaries(), { port, dataDir, persist: true });
  clients = new Clients(redis.url);
});
afterAll(async () => {
  clients.closeAll();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Redis restart or failover: the fence', () => {
  it('after a restart from the append-only file (new run_id), no grant for a window, and no window over the limit', async () => {
    const R = 20;
    const registry = new Registry();
    // The default fence; no ramp, so the gap is the fence's alone.
    const opts = { key: 'restart', rps: R, rampMs: 0, redisTimeoutMs: 500, marginMs: QUICK.marginMs };
    const a = createRateLimiter({ redis: clients.create(), registry, ...opts });
    // Whichever process reserves first after the restart sees the fence: count both.
    const registryB = new Registry();
    const b = createRateLimiter({ redis: clients.create(), registry: registryB, ...opts });
    const load = new Load().saturate(a, 10, 'a').saturate(b, 10, 'b');
    await waitFor('grants before the restart', () => load.grants.length > 20, 20_000);
    const before = Number(await clients.create().hget(limiterKeys('rl', 'restart').state, 'seq'));

    await (redis as RunningServer).stop();
    redis = await startRedis(ensureBinaries(), { port, dataDir, persist: true });
    const upAt = performance.now();
    await waitFor('grants after the restart', () => load.times((g) => g.at > upAt).length >= 10, 30_000);
    await load.end();
    await Promise.all([a.close(), b.close()]);

    // The state came back from the file …
    expect(Number(await clients.create().hget(limiterKeys('rl', 'restart').state, 'seq'))).toBeGreaterThan(before);
    // … but it may miss the last second: one window without grants.
    expect(load.times((g) => g.at > upAt && g.at < upAt + 1000)).toEqual([]);
    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
    const fences = async (r: Registry) => metricValue(r, 'rate_limiter_fences_total', { key: 'restart' });
    expect((await fences(registry)) + (await fences(registryB))).toBeGreaterThanOrEqual(1);
  });

  it('an older state from another server (a replica that lagged) is fenced too', async () => {
    const R = 20;
    // The default fence (one window): a shorter one would not cover the second the old state misses.
    const opts = { key: 'older', rps: R, rampMs: 0, marginMs: QUICK.marginMs };
    const keys = limiterKeys('rl', 'older');
    const a = createRateLimiter({ redis: clients.create(), ...opts });
    const b = createRateLimiter({ redis: clients.create(), ...opts });
    const admin = clients.create();
    const load = new Load().saturate(a, 10, 'a').saturate(b, 10, 'b');
    await waitFor('grants', () => load.grants.length > 10, 20_000);
    const snapshot = await admin.dumpBuffer(keys.state);
    await sleep(1500);
    // As a promoted replica would hold it: a second old, and written by its old master.
    if (!snapshot) throw new Error('no state to snapshot');
    await admin.restore(keys.state, 0, snapshot, 'REPLACE');
    await admin.hset(keys.state, 'sid', 'the-old-master');
    const swappedAt = performance.now();
    await waitFor('grants after the swap', () => load.times((g) => g.at > swappedAt + 1500).length > 5, 20_000);
    await load.end();
    await Promise.all([a.close(), b.close()]);

    // Without the fence the old schedule would hand out the last second again.
    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
    // Slots already held (≤ the vip horizon ahead, used ≤ marginMs late) are used; then nothing for a window.
    expect(load.times((g) => g.at > swappedAt + 350 + QUICK.marginMs && g.at < swappedAt + 1000)).toEqual([]);
  });
});
