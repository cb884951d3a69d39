import { createRateLimiter, maxInSlidingWindow } from '../src';
import { Load, sleep, useRedis, QUICK } from './support';

jest.setTimeout(60_000);

const env = useRedis();

describe('vip before normal', () => {
  it('in one process: queued vip callers overtake queued normal ones', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'prio-local', rps: 5, ...QUICK });
    const load = new Load();
    const normals = Array.from({ length: 8 }, () => load.once(limiter, 'n', 'normal'));
    await sleep(50);
    const vips = Array.from({ length: 3 }, () => load.once(limiter, 'v', 'vip'));
    await Promise.all([...vips, ...normals.slice(0, 4)]);
    await load.end();
    await limiter.close();
    // At most one normal slot (the one already reserved) goes before them.
    const order = [...load.grants].sort((x, y) => x.at - y.at).map((g) => g.priority);
    expect(order.slice(0, 4).filter((p) => p === 'vip')).toHaveLength(3);
  });

  it('across processes: vip reservations land before every later normal one', async () => {
    const R = 20;
    const normal = createRateLimiter({ redis: env.clients.create(), key: 'prio-fleet', rps: R, ...QUICK });
    const vip = createRateLimiter({ redis: env.clients.create(), key: 'prio-fleet', rps: R, ...QUICK });
    const load = new Load().saturate(normal, 30, 'normal-process');
    await sleep(1200);
    const asked = performance.now();
    const waits = await Promise.all(Array.from({ length: 10 }, () => load.once(vip, 'vip-process', 'vip')));
    const lastVip = Math.max(...load.times((g) => g.priority === 'vip'));
    await load.end();
    await Promise.all([normal.close(), vip.close()]);

    expect(waits.every((w) => w !== undefined)).toBe(true);
    // Only the normal slots reserved before the vip callers came (≤ one
    // normal horizon, 100 ms = 2 slots at 20 RPS) may go between; without
    // priority the two processes would take turns (≈ 10 normal grants).
    const between = load.times((g) => g.priority === 'normal' && g.at > asked && g.at < lastVip);
    expect(between.length).toBeLessThanOrEqual(3);
    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
  });

  it('vip wanting a quarter of the limit gets at least 95 % of it among saturating normal callers', async () => {
    const R = 40;
    const vipRps = 10;
    const normal = createRateLimiter({ redis: env.clients.create(), key: 'prio-share', rps: R, ...QUICK });
    const vip = createRateLimiter({ redis: env.clients.create(), key: 'prio-share', rps: R, ...QUICK });
    const load = new Load().saturate(normal, 60, 'normal-process');
    await sleep(1000);
    // Paced demand: one vip acquire every 100 ms for 3 s, whatever happens to the others.
    const asked = 3 * vipRps;
    const waits: number[] = [];
    for (let i = 0; i < asked; i++) {
      void load.once(vip, 'vip-process', 'vip').then((w) => w !== undefined && waits.push(w));
      await sleep(1000 / vipRps);
    }
    await sleep(1000);
    await load.end();
    await Promise.all([normal.close(), vip.close()]);

    // Served = granted within a second of asking.
    expect(waits.filter((w) => w < 1000).length).toBeGreaterThanOrEqual(Math.ceil(0.95 * asked));
    expect(maxInSlidingWindow(load.times()).count).toBeLessThanOrEqual(R);
  });
});
