import { ensureBinaries, startRedis, startTestStack, type RunningServer, type TestStack } from '@voc/local-stack';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createRateLimiter, maxInSlidingWindow } from '../src';
import { Clients, Load, metricValue, QUICK, sleep, waitFor } from './support';

jest.setTimeout(90_000);

let stack: TestStack;
let clients: Clients;
let restarted: RunningServer | undefined;
beforeAll(async () => {
  stack = await startTestStack({ redis: true });
  clients = new Clients(stack.redisUrl);
});
afterAll(async () => {
  clients.closeAll();
  await restarted?.stop();
  await stack.stop();
});

describe('Redis unreachable', () => {
  it('fails closed while Redis is down and recovers when it is back', async () => {
    const R = 20;
    const registry = new Registry();
    // The default fence (a window after a missing state), a short ramp.
    const limiter = createRateLimiter({ redis: clients.create(), key: 'down', rps: R, registry, redisTimeoutMs: 500, rampMs: 500, marginMs: QUICK.marginMs });
    const peerRegistry = new Registry();
    const peer = createRateLimiter({ redis: clients.create(), key: 'down', rps: R, registry: peerRegistry, rampMs: 500, marginMs: QUICK.marginMs });
    const load = new Load().saturate(limiter, 10, 'a').saturate(peer, 10, 'b');
    await waitFor('grants before the outage', () => load.grants.length > 10, 20_000);

    const server = stack.servers.find((s) => s.url === stack.redisUrl);
    if (!server) throw new Error('the test stack has no Redis server');
    await server.stop();
    const downAt = performance.now();
    await waitFor('degraded mode', async () => (await limiter.stats()).mode === 'degraded', 10_000);
    expect(await metricValue(registry, 'rate_limiter_degraded', { key: 'down' })).toBe(1);
    await sleep(2000);
    // Fail closed: nothing but slots already held when Redis went away (≤ one horizon, used ≤ marginMs late).
    expect(load.times((g) => g.at > downAt + 150 + QUICK.marginMs)).toEqual([]);

    // Same port, empty data: the limiter state is gone, as after a crash without persistence.
    restarted = await startRedis(ensureBinaries(), { port: server.port, dataDir: path.join(stack.dataDir, 'redis-restarted') });
    const upAt = performance.now();
    await waitFor('grants after the restart', () => load.times((g) => g.at > upAt).length >= 10, 30_000);
    await waitFor('redis mode', async () => (await limiter.stats()).mode === 'redis', 10_000);
    // The schedule Redis lost may have granted up to the outage: the new one waits a window.
    expect(load.times((g) => g.at > upAt && g.at < upAt + 1000)).toEqual([]);
    // Whichever process reached the restarted Redis first found the state missing and fenced it;
    // the other found the fenced schedule already there (CI once had the peer win that race).
    const fences = (await metricValue(registry, 'rate_limiter_fences_total', { key: 'down' })) + (await metricValue(peerRegistry, 'rate_limiter_fences_total', { key: 'down' }));
    expect(fences).toBeGreaterThanOrEqual(1);
    expect(await metricValue(registry, 'rate_limiter_degraded', { key: 'down' })).toBe(0);
    await sleep(1000);
    await load.end();
    await Promise.all([limiter.close(), peer.close()]);

    // Both instances, both sides of the outage: never over the limit.
    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
    expect(load.times((g) => g.who === 'a' && g.at > upAt).length).toBeGreaterThan(0);
    expect(load.times((g) => g.who === 'b' && g.at > upAt).length).toBeGreaterThan(0);
  });
});
