import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createRateLimiter, limiterKeys, RateLimiterClosedError } from '../src';
import { metricValue, sleep, waitFor, useRedis, QUICK } from './support';

jest.setTimeout(60_000);

const env = useRedis();

// One client per test to read the key's state (useRedis closes it after the test).
let probe: Redis;
beforeEach(() => {
  probe = env.clients.create();
});
const redis = () => env.clients.create();
const tat = async (key: string) => probe.hget(limiterKeys('rl', key).state, 'tat');
const freeSlots = async (key: string) => probe.zrange(limiterKeys('rl', key).free, 0, -1);

/**
 * A slow schedule (slots 4 s apart) that callers reserve on at once: the
 * slot a test reserves, gives back or takes stays seconds ahead, so what the
 * test checks in Redis does not race the slot's time on a loaded machine.
 * A quick limiter creates the key's state first (its fence is short; the
 * slow one's would be its 10-s vip horizon).
 */
const SLOW = { rps: 0.25, normalHorizonMs: 5000, vipHorizonMs: 10_000, ...QUICK };
async function slowKey(key: string): Promise<void> {
  // One slot per lease: it holds none to give back when it closes.
  const quick = createRateLimiter({ redis: redis(), key, rps: 100, leaseSlots: 1, ...QUICK });
  await quick.acquire();
  await quick.close();
}

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
    const registry = new Registry();
    await slowKey('give-back');
    const opts = { key: 'give-back', ...SLOW };
    const limiter = createRateLimiter({ redis: redis(), registry, ...opts });
    await limiter.acquire();
    const before = await tat('give-back');
    const c = new AbortController();
    const pending = limiter.acquire({ signal: c.signal }).catch((e: unknown) => e);
    await waitFor('the reservation', async () => (await tat('give-back')) !== before);
    c.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await waitFor('the give-back', async () => (await freeSlots('give-back')).length === 1);
    const [given] = await freeSlots('give-back');
    expect(given).toBe(`${before}:0`);
    expect(await metricValue(registry, 'rate_limiter_released_slots_total', { key: 'give-back' })).toBe(1);
    // Another process takes the freed slot before any new one: the free set
    // empties and the schedule does not move.
    const other = createRateLimiter({ redis: redis(), ...opts });
    const tatBefore = await tat('give-back');
    const stop = new AbortController();
    const taken = other.acquire({ signal: stop.signal }).catch((e: unknown) => e);
    await waitFor('the other reservation', async () => (await freeSlots('give-back')).length === 0);
    expect(await tat('give-back')).toBe(tatBefore);
    stop.abort();
    expect(await taken).toMatchObject({ name: 'AbortError' });
    await Promise.all([limiter.close(), other.close()]);
  });
});

describe('close', () => {
  it('rejects pending and later acquires, gives held slots back, and is idempotent', async () => {
    await slowKey('close');
    const limiter = createRateLimiter({ redis: redis(), key: 'close', ...SLOW });
    await limiter.acquire();
    const before = Number(await tat('close'));
    const pending = [limiter.acquire(), limiter.acquire({ priority: 'vip' })].map((p) => p.catch((e: unknown) => e));
    // Both reserved (slots 4 and 8 s on), so both are held when it closes.
    await waitFor('the reservations', async () => Number(await tat('close')) >= before + 2 * 4_000_000);
    await limiter.close();
    for (const e of await Promise.all(pending)) expect(e).toBeInstanceOf(RateLimiterClosedError);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimiterClosedError);
    await expect(limiter.close()).resolves.toBeUndefined();
    // The two reserved slots were given back for anyone to use (close() waits
    // for that at most redisTimeoutMs: a loaded Redis may answer later).
    await waitFor('both slots given back', async () => (await freeSlots('close')).length === 2);
  });
});
