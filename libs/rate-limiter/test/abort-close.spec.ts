import { Registry } from 'prom-client';
import { createRateLimiter, limiterKeys, RateLimiterClosedError } from '../src';
import { metricValue, sleep, waitFor, useRedis } from './support';

jest.setTimeout(60_000);

const env = useRedis();

const tat = async (key: string) => env.clients.create().hget(limiterKeys('rl', key).state, 'tat');

describe('abort', () => {
  it('rejects with the signal reason at once and is never granted', async () => {
    const registry = new Registry();
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'abort', rps: 5, registry });
    await limiter.acquire();
    const controllers = Array.from({ length: 6 }, () => new AbortController());
    const outcomes = controllers.map((c) => limiter.acquire({ signal: c.signal }).then(() => 'granted', (e: unknown) => e));
    const reason = new Error('caller gave up');
    for (const c of controllers.slice(0, 3)) c.abort(reason);
    const aborted = await Promise.race([Promise.all(outcomes.slice(0, 3)), sleep(500).then(() => 'still pending')]);
    expect(aborted).toEqual([reason, reason, reason]);
    expect(await Promise.all(outcomes.slice(3))).toEqual(['granted', 'granted', 'granted']);
    expect(await metricValue(registry, 'rate_limiter_grants_total', { key: 'abort' })).toBe(4);
    await limiter.close();
  });

  it('rejects at once when the signal is already aborted', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'abort-early', rps: 5 });
    await expect(limiter.acquire({ signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow('no');
    await limiter.close();
  });

  it('gives the slot reserved for an aborted caller back to the schedule', async () => {
    // A long horizon makes the limiter reserve the next slot (0.5 s on) at once.
    const registry = new Registry();
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'give-back', rps: 2, normalHorizonMs: 1000, vipHorizonMs: 1200, registry });
    await limiter.acquire();
    const before = await tat('give-back');
    const c = new AbortController();
    const pending = limiter.acquire({ signal: c.signal }).catch((e: unknown) => e);
    await waitFor('the reservation', async () => (await tat('give-back')) !== before);
    c.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    // The slot was the schedule's last: it comes off the schedule again.
    await waitFor('the give-back', async () => (await tat('give-back')) === before);
    expect(await metricValue(registry, 'rate_limiter_released_slots_total', { key: 'give-back' })).toBe(1);
    await limiter.close();
  });
});

describe('close', () => {
  it('rejects pending and later acquires, gives held slots back, and is idempotent', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'close', rps: 2, normalHorizonMs: 1000, vipHorizonMs: 1200 });
    await limiter.acquire();
    const before = await tat('close');
    const pending = [limiter.acquire(), limiter.acquire({ priority: 'vip' })].map((p) => p.catch((e: unknown) => e));
    await waitFor('the reservation', async () => (await tat('close')) !== before);
    await limiter.close();
    for (const e of await Promise.all(pending)) expect(e).toBeInstanceOf(RateLimiterClosedError);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimiterClosedError);
    await expect(limiter.close()).resolves.toBeUndefined();
    expect(await tat('close')).toBe(before);
  });
});
