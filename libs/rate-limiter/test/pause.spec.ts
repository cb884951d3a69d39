import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createRateLimiter, limiterKeys, maxInSlidingWindow } from '../src';
import { Load, metricValue, sleep, useRedis, waitFor, QUICK } from './support';

jest.setTimeout(60_000);

const env = useRedis();

/** How far the key's schedule reaches past Redis' clock (ms): slots up to there are reserved. */
async function reservedAheadMs(redis: Redis, key: string): Promise<number> {
  const [[sec, us], tat] = await Promise.all([redis.time(), redis.hget(limiterKeys('rl', key).state, 'tat')]);
  return tat === null ? -Infinity : (Number(tat) - (Number(sec) * 1e6 + Number(us))) / 1000;
}

describe('pause (provider 429)', () => {
  it('stops every instance until the pause ends, then grants resume', async () => {
    const R = 20;
    const registry = new Registry();
    const pauser = createRateLimiter({ redis: env.clients.create(), key: 'p', rps: R, registry, ...QUICK });
    const subscribed = createRateLimiter({ redis: env.clients.create(), key: 'p', rps: R, ...QUICK });
    // Learns of the pause only from the reserve script.
    const unsubscribed = createRateLimiter({ redis: env.clients.create(), key: 'p', rps: R, subscriber: false, ...QUICK });
    const load = new Load().saturate(pauser, 5, 'pauser').saturate(subscribed, 5, 'subscribed').saturate(unsubscribed, 5, 'unsubscribed');
    await waitFor('grants to every instance', () => ['pauser', 'subscribed', 'unsubscribed'].every((w) => load.times((g) => g.who === w).length > 0));
    const wallBefore = Date.now();
    await pauser.pause(1500, '429 from test');
    const pausedAt = performance.now();
    const wallAfter = Date.now();
    const s = await subscribed.stats();
    // Grants resume after the pause, however slowly a loaded machine runs the callers.
    await waitFor('grants after the pause', () => load.times((g) => g.at > pausedAt + 1500).length > 5, 20_000);
    await load.end();
    await Promise.all([pauser.close(), subscribed.close(), unsubscribed.close()]);

    // Slots already held when the pause began reach at most one horizon
    // (≤ 150 ms) further, and are used at most marginMs late.
    for (const who of ['pauser', 'subscribed', 'unsubscribed']) {
      expect(load.times((g) => g.who === who && g.at > pausedAt + 150 + QUICK.marginMs && g.at < pausedAt + 1400)).toEqual([]);
    }
    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
    // Paused until 1.5 s after the script ran (Redis' clock is this machine's).
    expect(s.pausedUntilMs).not.toBeNull();
    expect(s.pausedUntilMs as number).toBeGreaterThanOrEqual(wallBefore + 1500 - 1);
    expect(s.pausedUntilMs as number).toBeLessThanOrEqual(wallAfter + 1500 + 1);
    expect(await metricValue(registry, 'rate_limiter_pauses_total', { key: 'p' })).toBe(1);
  });

  it('reaches a subscribed process at once, even one holding slots far ahead', async () => {
    const R = 20;
    const registry = new Registry();
    const pauser = createRateLimiter({ redis: env.clients.create(), key: 'p2', rps: R, ...QUICK });
    // Reserves up to 1.2 s ahead: only the notification can stop it sooner.
    const farSighted = createRateLimiter({
      ...QUICK,
      redis: env.clients.create(),
      key: 'p2',
      rps: R,
      normalHorizonMs: 1200,
      vipHorizonMs: 2400,
      registry,
    });
    const load = new Load().saturate(farSighted, 40, 'far');
    const probe = env.clients.create();
    // It alone reserves on this key, gives nothing back while saturated, and
    // uses no slot before its time: once it has been granted (past the new
    // key's fence) and the schedule reaches 0.7 s past Redis' clock, it holds
    // slots that far ahead (Redis state, not a guess about timing).
    await waitFor('slots held far ahead', async () => load.grants.length > 0 && (await reservedAheadMs(probe, 'p2')) >= 700, 20_000);
    expect(await probe.zcard(limiterKeys('rl', 'p2').free)).toBe(0);
    await pauser.pause(1500, '429 from test');
    const pausedAt = performance.now();
    await sleep(1300);
    await load.end();
    await Promise.all([pauser.close(), farSighted.close()]);

    // (A slot due before the notification came may still be used marginMs late.)
    expect(load.times((g) => g.at > pausedAt + 150 + QUICK.marginMs && g.at < pausedAt + 1300)).toEqual([]);
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
