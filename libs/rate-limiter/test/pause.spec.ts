import { Registry } from 'prom-client';
import { createRateLimiter, maxInSlidingWindow } from '../src';
import { Load, metricValue, sleep, useRedis, QUICK } from './support';

jest.setTimeout(60_000);

const env = useRedis();

describe('pause (provider 429)', () => {
  it('stops every instance until the pause ends, then grants resume', async () => {
    const R = 20;
    const registry = new Registry();
    const pauser = createRateLimiter({ redis: env.clients.create(), key: 'p', rps: R, registry, ...QUICK });
    const subscribed = createRateLimiter({ redis: env.clients.create(), key: 'p', rps: R, ...QUICK });
    // Learns of the pause only from the reserve script.
    const unsubscribed = createRateLimiter({ redis: env.clients.create(), key: 'p', rps: R, subscriber: false, ...QUICK });
    const load = new Load().saturate(pauser, 5, 'pauser').saturate(subscribed, 5, 'subscribed').saturate(unsubscribed, 5, 'unsubscribed');
    await sleep(1200);
    await pauser.pause(1500, '429 from test');
    const pausedAt = performance.now();
    const s = await subscribed.stats();
    await sleep(2300);
    await load.end();
    await Promise.all([pauser.close(), subscribed.close(), unsubscribed.close()]);

    // Slots already held when the pause began reach at most one horizon (100 ms) further.
    for (const who of ['pauser', 'subscribed', 'unsubscribed']) {
      expect(load.times((g) => g.who === who && g.at > pausedAt + 300 && g.at < pausedAt + 1400)).toEqual([]);
    }
    expect(load.times((g) => g.at > pausedAt + 1500).length).toBeGreaterThan(5);
    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
    expect(s.pausedUntilMs).not.toBeNull();
    expect(s.pausedUntilMs as number).toBeGreaterThan(Date.now() - 2300 + 1000);
    expect(await metricValue(registry, 'rate_limiter_pauses_total', { key: 'p' })).toBe(1);
  });

  it('reaches a subscribed process at once, even one holding slots far ahead', async () => {
    const R = 20;
    const registry = new Registry();
    const pauser = createRateLimiter({ redis: env.clients.create(), key: 'p2', rps: R, ...QUICK });
    // Reserves up to 1 s ahead: only the notification can stop it sooner.
    const farSighted = createRateLimiter({
      ...QUICK,
      redis: env.clients.create(),
      key: 'p2',
      rps: R,
      normalHorizonMs: 1000,
      vipHorizonMs: 1500,
      registry,
    });
    const load = new Load().saturate(farSighted, 40, 'far');
    await sleep(1500);
    await pauser.pause(1500, '429 from test');
    const pausedAt = performance.now();
    await sleep(1300);
    await load.end();
    await Promise.all([pauser.close(), farSighted.close()]);

    expect(load.times((g) => g.at > pausedAt + 150 && g.at < pausedAt + 1300)).toEqual([]);
    // It did hold slots inside the pause, and dropped them.
    expect(await metricValue(registry, 'rate_limiter_dropped_slots_total', { key: 'p2', reason: 'paused' })).toBeGreaterThan(0);
  });

  it('only ever extends a pause, and rejects nonsense durations', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'p3', rps: 5, ...QUICK });
    await limiter.pause(3000);
    await limiter.pause(100);
    const s = await limiter.stats();
    expect(s.pausedUntilMs as number).toBeGreaterThan(Date.now() + 2000);
    await expect(limiter.pause(-1)).rejects.toThrow(RangeError);
    await expect(limiter.pause(Number.NaN)).rejects.toThrow(RangeError);
    await limiter.close();
  });
});
