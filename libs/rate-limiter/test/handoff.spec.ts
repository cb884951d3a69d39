import { Registry } from 'prom-client';
import { createRateLimiter, maxInSlidingWindow, type Grant } from '../src';
import { metricValue, sleep, useRedis, QUICK } from './support';

jest.setTimeout(60_000);

const env = useRedis();

/** `callers` loops of acquire() for `ms`, each grant kept with the clock read when its caller resumed. */
async function saturate(limiter: ReturnType<typeof createRateLimiter>, callers: number, ms: number) {
  const stop = new AbortController();
  const got: { grant: Grant; resumedAt: number }[] = [];
  const loops = Array.from({ length: callers }, async () => {
    while (!stop.signal.aborted) {
      try {
        const grant = await limiter.acquire({ signal: stop.signal });
        got.push({ grant, resumedAt: performance.now() });
      } catch (err) {
        if (stop.signal.aborted) return;
        throw err;
      }
    }
  });
  await sleep(ms);
  stop.abort();
  await Promise.all(loops);
  return got;
}

describe('handing slots off ahead (handoffMs)', () => {
  it('grants up to handoffMs before the slot, with a send window that keeps every sliding second within rps', async () => {
    const R = 40;
    const handoffMs = 80;
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'handoff', rps: R, ...QUICK, marginMs: 20, handoffMs });
    const got = await saturate(limiter, 30, 3000);
    await limiter.close();

    expect(got.length).toBeGreaterThan(R);
    const ahead = got.map(({ grant }) => grant.sendAt - grant.grantedAt).sort((a, b) => a - b);
    // Handed off ahead (most by close to handoffMs; a loaded machine reaches some later), never further ahead than it.
    expect(ahead[Math.floor(ahead.length / 2)]).toBeGreaterThan(handoffMs / 4);
    expect(ahead[ahead.length - 1]).toBeLessThanOrEqual(handoffMs + 1);
    for (const { grant } of got) expect(grant.sendBy).toBeGreaterThanOrEqual(grant.sendAt);
    // Requests sent at sendAt: the limit holds where the provider counts them.
    expect(maxInSlidingWindow(got.map(({ grant }) => grant.sendAt)).count).toBeLessThanOrEqual(R);
  });

  it('grants at the slot itself without it: sendAt is the grant time', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'no-handoff', rps: 20, ...QUICK });
    const got = await saturate(limiter, 5, 600);
    await limiter.close();
    expect(got.length).toBeGreaterThan(0);
    for (const { grant } of got) {
      expect(grant.sendAt).toBe(grant.grantedAt);
      expect(grant.sendBy).toBeGreaterThanOrEqual(grant.sendAt);
    }
  });

  it('counts a grant its caller missed (not sent by sendBy) as a slot dropped late, and ignores settling it afterwards', async () => {
    const registry = new Registry();
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'missed', rps: 20, tpm: 60_000, registry, ...QUICK, handoffMs: 50 });
    const grant = await limiter.acquire({ tokens: 100 });
    const before = await metricValue(registry, 'rate_limiter_dropped_slots_total', { key: 'missed', reason: 'late' });
    grant.missed(120);
    grant.missed(130);
    grant.settle(100);
    expect(await metricValue(registry, 'rate_limiter_dropped_slots_total', { key: 'missed', reason: 'late' })).toBe(before + 1);
    // Its tokens went back, as cancel() gives them: nothing was charged.
    expect(await metricValue(registry, 'rate_limiter_settled_tokens_total', { key: 'missed', direction: 'returned' })).toBe(100);
    expect(await metricValue(registry, 'rate_limiter_settled_tokens_total', { key: 'missed', direction: 'charged' })).toBe(0);
    await limiter.close();
  });
});
