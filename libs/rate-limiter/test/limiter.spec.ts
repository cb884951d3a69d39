import { Registry } from 'prom-client';
import { createRateLimiter, maxInSlidingWindow } from '../src';
import { Load, metricValue, sleep, useRedis, QUICK } from './support';

jest.setTimeout(60_000);

const env = useRedis();

describe('one limiter', () => {
  it('never lets a 1-s window exceed rps and stays near rps when saturated', async () => {
    const R = 40;
    const registry = new Registry();
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'single', rps: R, registry, ...QUICK });
    const load = new Load().saturate(limiter, 30, 'a');
    await sleep(3500);
    await load.end();
    await limiter.close();

    const times = load.times();
    expect(maxInSlidingWindow(times).count).toBeLessThanOrEqual(R);
    // Loose on purpose (the schedule runs at 1000 / 1200 of R with QUICK's
    // margin, and a loaded machine drops some slots): `npm run bench:limiter` measures the real rate.
    const first = Math.min(...times);
    const steady = times.filter((t) => t >= first + 500 && t < first + 2500).length;
    expect(steady).toBeGreaterThanOrEqual(0.5 * 2 * R);
    // Every grant is counted once, with its wait.
    expect(await metricValue(registry, 'rate_limiter_grants_total', { key: 'single', priority: 'normal' })).toBe(times.length);
    expect(await metricValue(registry, 'rate_limiter_wait_seconds', { key: 'single' })).toBeGreaterThan(0);
    expect(await metricValue(registry, 'rate_limiter_degraded', { key: 'single' })).toBe(0);
  });

  it('spaces grants instead of bursting: no 100-ms window holds much more than a tenth of rps', async () => {
    const R = 50;
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'smooth', rps: R, ...QUICK, marginMs: 10 });
    const load = new Load().saturate(limiter, 50, 'a');
    await sleep(2500);
    await load.end();
    await limiter.close();
    // A sliding-window-log limiter would let all 50 callers through at once.
    expect(maxInSlidingWindow(load.times(), 100).count).toBeLessThanOrEqual(R / 10 + 2);
  });

  it('counts as its backlog the callers with no slot placed for them, not those waiting for a placed slot', async () => {
    const R = 20;
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'backlog', rps: R, ...QUICK });
    expect(limiter.backlog()).toBe(0);
    // 30 callers at 20/s: the schedule places at most a horizon's worth (50 ms: a slot or two) ahead.
    const load = new Load().saturate(limiter, 30, 'a');
    await sleep(600);
    expect(limiter.backlog()).toBeGreaterThanOrEqual(25);
    expect(limiter.backlog()).toBeLessThanOrEqual(30);
    await load.end();
    expect(limiter.backlog()).toBe(0);
    await limiter.close();
  });

  it('reports fleet-wide grants in stats()', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'stats', rps: 20, ...QUICK });
    const load = new Load().saturate(limiter, 10, 'a');
    await sleep(2600);
    const s = await limiter.stats();
    await load.end();
    await limiter.close();
    expect(s).toMatchObject({ key: 'stats', rps: 20, pausedUntilMs: null, mode: 'redis' });
    expect(s.grantedLastSecond).toBeGreaterThan(0);
    expect(s.grantedLastSecond).toBeLessThanOrEqual(20);
    expect(s.grantedLast10s).toBeGreaterThanOrEqual(s.grantedLastSecond);
  });
});

describe('a busy event loop', () => {
  it('asks for extensions and uses its late slots on an idle schedule instead of dropping them, within the limit', async () => {
    const R = 100;
    const registry = new Registry();
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'busy-loop', rps: R, registry, rampMs: 0, fenceMs: 0, marginMs: 10 });
    const times: number[] = [];
    let seed = 11;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const until = Date.now() + 4000;
    // Two callers, far below R: the schedule stays idle; after some grants the loop is blocked 40 ms (JSON, GC).
    await Promise.all(
      [0, 1].map(async () => {
        while (Date.now() < until) {
          await limiter.acquire();
          times.push(performance.now());
          if (rand() < 0.5) {
            const end = performance.now() + 40;
            while (performance.now() < end) {
              /* busy */
            }
          }
        }
      }),
    );
    await limiter.close();
    const extended = await metricValue(registry, 'rate_limiter_extended_grants_total', { key: 'busy-loop' });
    const late = await metricValue(registry, 'rate_limiter_dropped_slots_total', { key: 'busy-loop', reason: 'late' });
    expect(extended).toBeGreaterThan(0);
    // Without extensions most slots due during a block were dropped; now few are.
    expect(late).toBeLessThan(extended);
    expect(maxInSlidingWindow(times).count).toBeLessThanOrEqual(R);
  });
});

describe('handing out a burst of due slots', () => {
  it('checks each slot against the margin at the moment it is granted, not when the burst began', async () => {
    const R = 400;
    const marginMs = 10;
    const other = createRateLimiter({ redis: env.clients.create(), key: 'burst', rps: R, rampMs: 0, fenceMs: 0, marginMs });
    const load = new Load().saturate(other, 200, 'other');
    const registry = new Registry();
    const slow = createRateLimiter({ redis: env.clients.create(), key: 'burst', rps: R, rampMs: 0, fenceMs: 0, marginMs, registry });
    // Granting to one caller costs this process 6 ms (its abort listener is
    // removed then, and the signal notes that moment): slots 2.5 ms apart
    // fall due together, and the last of a burst is handed out long after the
    // clock read that began it.
    const busySignal = () => {
      const sig = {
        aborted: false,
        reason: undefined,
        removedAt: NaN,
        addEventListener: () => undefined,
        removeEventListener: () => {
          sig.removedAt = performance.now();
          while (performance.now() < sig.removedAt + 6) {
            /* busy */
          }
        },
      };
      return sig;
    };
    // How late each grant really came: its lateness at grantedAt, plus how much later it was really handed out.
    const grants: { at: number; realLateMs: number }[] = [];
    const until = Date.now() + 2500;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() < until) {
          const sig = busySignal();
          const g = await slow.acquire({ signal: sig as unknown as AbortSignal });
          grants.push({ at: g.grantedAt, realLateMs: g.lateMs + Math.max(0, sig.removedAt - g.grantedAt) });
        }
      }),
    );
    await load.end();
    await Promise.all([slow.close(), other.close()]);
    expect(grants.length).toBeGreaterThan(50);
    // Within the margin of its slot's time when it was really handed out (a
    // few µs pass between the clock read and the listener's).
    expect(Math.max(...grants.map((g) => g.realLateMs))).toBeLessThanOrEqual(marginMs + 0.5);
    // The slots it reached too late were dropped, not granted.
    const late = await metricValue(registry, 'rate_limiter_dropped_slots_total', { key: 'burst', reason: 'late' });
    expect(late).toBeGreaterThan(0);
    // rate_limiter_dispatch_lateness_seconds saw every due slot once, and the dropped ones beyond the margin.
    const seen = await metricValue(registry, 'rate_limiter_dispatch_lateness_seconds', { key: 'burst', le: '+Inf' });
    const withinMargin = await metricValue(registry, 'rate_limiter_dispatch_lateness_seconds', { key: 'burst', le: '0.01' });
    expect(seen).toBe((await metricValue(registry, 'rate_limiter_grants_total', { key: 'burst' })) + late);
    expect(seen - withinMargin).toBeGreaterThanOrEqual(late);
  });
});

describe('two limiter instances on one Redis (two processes)', () => {
  it('never exceed rps together, and share it', async () => {
    const R = 40;
    const a = createRateLimiter({ redis: env.clients.create(), key: 'shared', rps: R, ...QUICK });
    const b = createRateLimiter({ redis: env.clients.create(), key: 'shared', rps: R, ...QUICK });
    const load = new Load().saturate(a, 25, 'a').saturate(b, 25, 'b');
    await sleep(4000);
    await load.end();
    await Promise.all([a.close(), b.close()]);

    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
    // Turns alternate between waiting processes: neither starves.
    const na = load.times((g) => g.who === 'a').length;
    const nb = load.times((g) => g.who === 'b').length;
    expect(Math.min(na, nb)).toBeGreaterThan(0.25 * (na + nb));
    // Loose on purpose (see above).
    expect(na + nb).toBeGreaterThanOrEqual(0.5 * 3 * R);
  });
});

describe('several keys', () => {
  it('keep independent limits and pauses', async () => {
    const redis = env.clients.create();
    const slow = createRateLimiter({ redis, key: 'model-slow', rps: 10, ...QUICK });
    const fast = createRateLimiter({ redis, key: 'model-fast', rps: 40, ...QUICK });
    const load = new Load().saturate(slow, 10, 'slow').saturate(fast, 30, 'fast');
    await sleep(1500);
    await slow.pause(1500, 'test');
    const pausedAt = performance.now();
    await sleep(1400);
    await load.end();
    await Promise.all([slow.close(), fast.close()]);

    expect(maxInSlidingWindow(load.times((g) => g.who === 'slow')).count).toBeLessThanOrEqual(10);
    expect(maxInSlidingWindow(load.times((g) => g.who === 'fast')).count).toBeLessThanOrEqual(40);
    // The slow key's pause (1.5 s) does not stop the fast one.
    const during = (who: string) => load.times((g) => g.who === who && g.at > pausedAt + 300 && g.at < pausedAt + 1400);
    expect(during('slow')).toHaveLength(0);
    expect(during('fast').length).toBeGreaterThan(5);
  });
});
