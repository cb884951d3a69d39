import { Registry } from 'prom-client';
import { createRateLimiter, limiterKeys, RateLimiterClosedError } from '../src';
import { metricValue, sleep, waitFor, useRedis, QUICK } from './support';

jest.setTimeout(60_000);

const env = useRedis();

const tat = async (key: string) => env.clients.create().hget(limiterKeys('rl', key).state, 'tat');
const freeSlots = async (key: string) => env.clients.create().zrange(limiterKeys('rl', key).free, 0, -1);

describe('abort', () => {
  it('rejects with the signal reason at once and is never granted', async () => {
    const registry = new Registry();
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'abort', rps: 5, registry, ...QUICK });
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
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'abort-early', rps: 5, ...QUICK });
    await expect(limiter.acquire({ signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow('no');
    await limiter.close();
  });

  it('gives the slot reserved for an aborted caller back, and the next caller gets it', async () => {
    // A long horizon makes the limiter reserve the next slot (0.5 s on) at once.
    const registry = new Registry();
    const opts = { key: 'give-back', rps: 1, normalHorizonMs: 1500, vipHorizonMs: 1800, ...QUICK };
    const limiter = createRateLimiter({ redis: env.clients.create(), registry, ...opts });
    await limiter.acquire();
    const before = await tat('give-back');
    const c = new AbortController();
    const pending = limiter.acquire({ signal: c.signal }).catch((e: unknown) => e);
    await waitFor('the reservation', async () => (await tat('give-back')) !== before);
    c.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await waitFor('the give-back', async () => (await freeSlots('give-back')).length === 1);
    const [given] = await freeSlots('give-back');
    expect(await metricValue(registry, 'rate_limiter_released_slots_total', { key: 'give-back' })).toBe(1);
    // Another process takes the freed slot before any new one.
    const other = createRateLimiter({ redis: env.clients.create(), ...opts });
    const tatBefore = await tat('give-back');
    await other.acquire();
    expect(await freeSlots('give-back')).toEqual([]);
    expect(await tat('give-back')).toBe(tatBefore);
    expect(given).toMatch(/^\d+:0$/);
    await Promise.all([limiter.close(), other.close()]);
  });
});

describe('close', () => {
  it('rejects pending and later acquires, gives held slots back, and is idempotent', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'close', rps: 2, normalHorizonMs: 1000, vipHorizonMs: 1200, ...QUICK });
    await limiter.acquire();
    const before = await tat('close');
    const pending = [limiter.acquire(), limiter.acquire({ priority: 'vip' })].map((p) => p.catch((e: unknown) => e));
    await waitFor('the reservation', async () => (await tat('close')) !== before);
    await limiter.close();
    for (const e of await Promise.all(pending)) expect(e).toBeInstanceOf(RateLimiterClosedError);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimiterClosedError);
    await expect(limiter.close()).resolves.toBeUndefined();
    // The two reserved slots were given back for anyone to use.
    expect(await freeSlots('close')).toHaveLength(2);
  });
});
