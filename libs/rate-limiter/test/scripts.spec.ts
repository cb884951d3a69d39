import type { Redis } from 'ioredis';
import { maxWeightedInSlidingWindow } from '../src';
import { LimiterScripts, limiterKeys, reserveConfigArgs, type LimiterKeys, type ReserveConfig, type ReserveReply, type ReserveRequest } from '../src/scripts';
import { useRedis } from './support';

jest.setTimeout(30_000);

const env = useRedis();
let redis: Redis;
let scripts: LimiterScripts;
beforeEach(() => {
  redis = env.clients.create();
  scripts = new LimiterScripts(redis);
});

const interval = 5050; // 200 RPS with a 10 ms margin
const W = 1_010_000;
// Requests only, no ramp, a fence just past the vip horizon.
const base: ReserveConfig = {
  iv: interval,
  w: W,
  tpw: 0,
  hv: 300_000,
  hn: 100_000,
  ho: 50_000,
  tv: 29,
  tn: 9,
  fence: 0,
  ramp: 0,
  floor: 0.1,
  cold: 10_000_000,
  rec: 60_000_000,
  pace: 1.25,
  recheck: 5_000_000,
  id: '200/0',
};
const withTokens = (tpw: number, more: Partial<ReserveConfig> = {}): ReserveConfig => ({ ...base, tpw, id: `200/${tpw * 60}`, ...more });
const ask = (r: Partial<ReserveRequest>): ReserveRequest => ({ vip: [], normal: [], lane: 'default', share: 0, release: [], adjust: [], ...r });
const zeros = (n: number) => Array.from({ length: n }, () => 0);
let n = 0;
const freshKeys = () => limiterKeys('rl', `script-${++n}`);
const reserve = (keys: LimiterKeys, cfg: ReserveConfig, req: Partial<ReserveRequest>): Promise<ReserveReply> =>
  scripts.reserve(keys, reserveConfigArgs(cfg), ask(req));
const slotTimes = (r: ReserveReply) => r.slots.map((s) => s.slotUs);

describe('reserve.lua: requests', () => {
  it('hands out slots exactly one interval apart, within the horizon, at µs precision', async () => {
    const keys = freshKeys();
    const r = await reserve(keys, base, { normal: zeros(64) });
    const t = slotTimes(r);
    // Missing state: fenced first, so the slots start after the fence.
    expect(r.fenced).toBe(true);
    expect(t.length).toBeGreaterThan(0);
    t.forEach((s, i) => expect(s - (t[0] as number)).toBe(i * interval));
    expect(t.at(-1)).toBeLessThanOrEqual(r.nowUs + 100_000);
    // Stored as exact integers (Lua's default number format would round µs away).
    expect(await redis.hget(keys.state, 'tat')).toBe(String((t.at(-1) as number) + interval));
    // It wanted more: a turn is given for when the next lease fits.
    expect(r.normalTurnUs).toBeGreaterThan(r.nowUs);
    expect(r.slots.every((s, i) => s.priority === 'normal' && s.index === i && !s.probe)).toBe(true);
  });

  it('places no new slot of an idle schedule before now + the caller\'s lead (its round trip), and none with no lead before now', async () => {
    const keys = freshKeys();
    const first = await reserve(keys, base, { normal: [0] }); // fenced: state exists from here
    // Idle: wait until the cursor is behind Redis' clock.
    await new Promise((r) => setTimeout(r, Math.ceil((first.slots[0]!.slotUs - first.nowUs) / 1000) + 30));
    const plain = await reserve(keys, base, { normal: [0] });
    expect(plain.slots[0]!.slotUs).toBeGreaterThanOrEqual(plain.nowUs);
    expect(plain.slots[0]!.slotUs).toBeLessThan(plain.nowUs + 20_000);
    await new Promise((r) => setTimeout(r, 30));
    const led = await reserve(keys, base, { normal: [0, 0], leadUs: 40_000 });
    expect(led.slots[0]!.slotUs).toBeGreaterThanOrEqual(led.nowUs + 40_000);
    expect(led.slots[1]!.slotUs - led.slots[0]!.slotUs).toBe(interval);
    // A given-back slot before the lead is not handed to a caller that could not use it in time.
    await scripts.reserve(keys, reserveConfigArgs(base), ask({ release: [[led.slots[1]!.slotUs, 0]] }));
    const late = await reserve(keys, base, { normal: [0], leadUs: 80_000 });
    expect(late.slots[0]!.slotUs).toBeGreaterThanOrEqual(late.nowUs + 80_000);
  });

  it('extends new slots only while the schedule is idle, and leaves a gap of two spacings once the last slot passed a skip', async () => {
    const keys = freshKeys();
    await reserve(keys, base, { normal: [0] }); // fenced: the state exists from here
    await new Promise((r) => setTimeout(r, 40));
    const ext = 60_000;
    const idle = await reserve(keys, base, { normal: [0, 0, 0], extUs: ext });
    expect(idle.slots.map((s) => s.extUs)).toEqual([ext, ext, ext]);
    const skips = (await redis.hget(keys.state, 'skips'))!.split(',').map(Number);
    expect(skips).toEqual(idle.slots.map((s) => s.slotUs + ext));
    // Placing on past the first skip: the slot after the one that passed it comes two spacings later.
    const more = await reserve(keys, base, { normal: zeros(40) });
    const all = [...idle.slots, ...more.slots].map((s) => s.slotUs);
    const gaps = all.slice(1).map((t, i) => t - all[i]!);
    const firstPast = all.findIndex((t) => t >= skips[0]!);
    expect(firstPast).toBeGreaterThan(0);
    expect(gaps[firstPast]).toBe(2 * interval);
    expect(gaps.filter((g) => g === 2 * interval).length).toBeGreaterThanOrEqual(1);
    // A full schedule (10 RPS, 3 s of it reserved; a second later the last second and this one hold ~10 each): no extension.
    const keysBusy = freshKeys();
    const tenRps = { ...base, iv: 101_000, hn: 3_000_000, hv: 6_000_000, tn: 40 };
    await reserve(keysBusy, tenRps, { normal: zeros(40) });
    await new Promise((r) => setTimeout(r, 1100));
    const busy = await reserve(keysBusy, tenRps, { normal: zeros(2), extUs: ext });
    expect(busy.slots.length).toBeGreaterThan(0);
    expect(busy.slots.every((s) => s.extUs === 0)).toBe(true);
  });

  it('knows an extended slot by slot + extension: its tokens are logged there, settled there, and it is offered again there', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000);
    await reserve(keys, cfg, { normal: [0] });
    await new Promise((r) => setTimeout(r, 40));
    const r = await reserve(keys, cfg, { normal: [1000], extUs: 50_000 });
    const slot = r.slots[0]!;
    expect(slot.extUs).toBe(50_000);
    const at = slot.slotUs + slot.extUs;
    expect(await redis.zrange(keys.tokens, 0, -1)).toContain(`${at}:1000`);
    await scripts.reserve(keys, reserveConfigArgs(cfg), ask({ adjust: [[at, -400, 0]] }));
    expect(await redis.zrange(keys.tokens, 0, -1)).toContain(`${at}:600`);
    await scripts.reserve(keys, reserveConfigArgs(cfg), ask({ release: [[at, 600]] }));
    expect(await redis.zrange(keys.free, 0, -1)).toEqual([`${at}:600`]);
  });

  it('keeps every sliding second within the limits when extended slots are used as late as allowed', async () => {
    // 20 RPS and 20,000 tokens a window: small, so a test can idle the schedule and then fill it.
    // A horizon past a window: one call can fill the schedule for a whole second after the extended slots.
    const cfg: ReserveConfig = withTokens(20_000, { iv: Math.ceil(W / 20), hn: 1_500_000, hv: 2_000_000, tn: 40, tv: 40 });
    const keys = freshKeys();
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const grants: { at: number; weight: number }[] = [];
    const tokens: { at: number; weight: number }[] = [];
    let extended = 0;
    const record = (r: ReserveReply, lateFirst: boolean) => {
      for (const s of r.slots) {
        if (s.extUs > 0) extended++;
        // The worst use: extended slots at the latest moment allowed (slot + extension + margin), others at random within the margin.
        const late = s.extUs > 0 && lateFirst ? (s.extUs + (W - 1_000_000)) / 1000 : (rand() * (W - 1_000_000)) / 1000;
        grants.push({ at: s.slotUs / 1000 + late, weight: 1 });
        tokens.push({ at: s.slotUs / 1000 + late, weight: s.tokens });
      }
    };
    const sizes = (n: number) => Array.from({ length: n }, () => Math.round(200 + 1300 * rand()));
    for (let cycle = 0; cycle < 3; cycle++) {
      // Idle long enough that under half the limit was granted in the last second: slots get the extension.
      await new Promise((res) => setTimeout(res, 2700)); // past what the last fill reserved ahead
      record(await reserve(keys, cfg, { normal: sizes(3), extUs: 250_000 }), true);
      // Then the schedule fills for more than a window (no extension asked).
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        record(await reserve(keys, cfg, { normal: sizes(12) }), false);
        await new Promise((res) => setTimeout(res, 15));
      }
    }
    expect(extended).toBeGreaterThanOrEqual(6);
    expect(grants.length).toBeGreaterThan(60);
    expect(maxWeightedInSlidingWindow(grants, 1000).total).toBeLessThanOrEqual(20);
    expect(maxWeightedInSlidingWindow(tokens, 1000).total).toBeLessThanOrEqual(20_000);
  }, 40_000);

  it('gives later callers turns one after another, not all at once', async () => {
    const keys = freshKeys();
    await reserve(keys, base, { normal: zeros(64) });
    const turns = [];
    for (let i = 0; i < 3; i++) turns.push((await reserve(keys, base, { normal: zeros(64) })).normalTurnUs as number);
    expect(turns[1] as number).toBeGreaterThanOrEqual((turns[0] as number) + 9 * interval);
    expect(turns[2] as number).toBeGreaterThanOrEqual((turns[1] as number) + 9 * interval);
  });

  it('places vip demands first and further ahead, so vip lands before later normal reservations', async () => {
    const keys = freshKeys();
    // 1 RPS: a new slot enters a horizon only every second, however slow the machine.
    const slow = { ...base, iv: 1_000_000, hn: 3_000_000, hv: 6_000_000, fence: 0 };
    await reserve(keys, slow, { normal: zeros(64) }); // the normal horizon is now full
    const normal = await reserve(keys, slow, { normal: [0] });
    expect(normal.slots).toEqual([]);
    const both = await reserve(keys, slow, { vip: [0], normal: [0] });
    expect(both.slots.map((s) => s.priority)).toEqual(['vip']);
    expect(both.vipTurnUs).toBeUndefined();
    expect(both.normalTurnUs).toBeDefined();
  });
});

describe('reserve.lua: Redis’ clock', () => {
  it('shifts the schedule when the clock steps back, keeping its place in real time', async () => {
    const keys = freshKeys();
    const first = await reserve(keys, base, { normal: [0] });
    const step = 10_000_000;
    // As if the clock had read 10 s later until now.
    const tat = Number(await redis.hget(keys.state, 'tat'));
    await redis.hset(keys.state, 'tat', String(tat + step), 'last', String(first.nowUs + step));
    const next = await reserve(keys, base, { normal: [0] });
    expect(next.slots[0]?.slotUs).toBeLessThan(next.nowUs + 100_000);
    expect(next.slots[0]?.slotUs).toBeGreaterThanOrEqual(tat);
  });
});

describe('reserve.lua: the fence', () => {
  it('grants nothing for one window after the state was found missing', async () => {
    const keys = freshKeys();
    const r = await reserve(keys, { ...base, fence: W + 300_000 }, { vip: [0], normal: [0] });
    expect(r.fenced).toBe(true);
    // vip may reserve past the fence; nothing inside it.
    expect(r.slots.map((s) => s.priority)).toEqual(['vip']);
    expect(r.slots[0]?.slotUs).toBeGreaterThanOrEqual(r.nowUs + W + 300_000);
    expect(r.normalTurnUs as number).toBeGreaterThanOrEqual(r.nowUs + W);
    expect((await reserve(keys, base, { normal: [0] })).fenced).toBe(false);
  });

  it('fences once when the state was written by another Redis server (failover, restart from the AOF)', async () => {
    const keys = freshKeys();
    const first = await reserve(keys, base, { normal: [0] });
    await new Promise((res) => setTimeout(res, 400));
    const ok = await reserve(keys, base, { normal: [0] });
    expect(ok.fenced).toBe(false);
    expect(ok.slots).toHaveLength(1);
    // As if the state had been replicated from another server (its run_id).
    await redis.hset(keys.state, 'sid', 'another-server');
    const fenced = await reserve(keys, { ...base, fence: W }, { normal: [0] });
    expect(fenced.fenced).toBe(true);
    expect(fenced.slots).toEqual([]);
    expect(Number(await redis.hget(keys.state, 'tat'))).toBeGreaterThanOrEqual(fenced.nowUs + W);
    expect(await redis.hget(keys.state, 'sid')).not.toBe('another-server');
    expect(first.fenced).toBe(true);
  });
});

describe('reserve.lua: tokens', () => {
  it('never lets the tokens of any window exceed the limit, whatever the sizes', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000);
    let seed = 3;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const granted: { at: number; weight: number }[] = [];
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const sizes = Array.from({ length: 8 }, () => Math.round(500 + 2500 * rand()));
      const r = await reserve(keys, { ...cfg, hn: 400_000 }, { normal: sizes });
      for (const s of r.slots) {
        expect(s.tokens).toBe(sizes[s.index]);
        granted.push({ at: s.slotUs / 1000, weight: s.tokens });
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(granted.length).toBeGreaterThan(10);
    // On Redis' clock, every window of 1 s + margin.
    expect(maxWeightedInSlidingWindow(granted, W / 1000).total).toBeLessThanOrEqual(10_000);
    const log = await redis.zrange(keys.tokens, 0, -1, 'WITHSCORES');
    expect(log.length).toBeGreaterThan(0);
    // Only the current window (and what is reserved ahead) is kept.
    const [sec, us] = (await redis.time()).map(Number) as [number, number];
    const nowUs = sec * 1e6 + us;
    for (let i = 1; i < log.length; i += 2) expect(Number(log[i])).toBeGreaterThan(nowUs - 2 * W);
  });

  it('gives the room a larger demand cannot use yet to the largest demand that fits (best fit)', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000, { pace: 1000, hn: 100_000 });
    expect((await reserve(keys, cfg, { normal: [8500] })).slots).toHaveLength(1);
    // 1500 free until the 8500 leave the window: the 3000 must wait a window;
    // the 1400 fills the room best (in arrival order the 1000 would go, leaving 500 idle).
    const r = await reserve(keys, cfg, { normal: [3000, 1000, 1400, 600] });
    expect(r.slots.map((s) => [s.index, s.tokens])).toEqual([[2, 1400]]);
    expect(r.normalTurnUs as number).toBeGreaterThan(r.nowUs);
  });

  it('holds a passed-over demand in place: a smaller one goes ahead only where it does not delay it', async () => {
    const cfg = withTokens(10_000, { pace: 1000, hn: 100_000 });
    // 6000 of 10000 taken: the 8000 must wait a window, 4000 are free now.
    const demands = [8000, 1500, 1500, 1500];
    const free = freshKeys();
    await reserve(free, cfg, { normal: [6000] });
    // Best fit: two 1500s fill the room now (the 8000 waits longer for it).
    expect((await reserve(free, cfg, { normal: demands })).slots.map((s) => [s.index, s.tokens])).toEqual([
      [1, 1500],
      [2, 1500],
    ]);
    const held = freshKeys();
    await reserve(held, cfg, { normal: [6000] });
    // Held: only one, since a second would leave too little room for the 8000 when the 6000 leave.
    const r = await reserve(held, cfg, { normal: demands, held: 1 });
    expect(r.slots.map((s) => [s.index, s.tokens])).toEqual([[1, 1500]]);
    expect(r.normalTurnUs as number).toBeGreaterThan(r.nowUs + 500_000);
  });

  it('places the demands of every lane in one call, and counts usage and wanting per lane', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000, { pace: 1000, hn: 100_000 });
    const r = await reserve(keys, cfg, {
      lane: 'translate',
      share: 0.25,
      normal: [500, 700, 9500],
      normalLanes: ['translate', 'insight', 'theme'],
      laneShares: { translate: 0.25, insight: 0.5 },
    });
    // Best fit: the 9500 (largest), then the 500 in the room left; the 700 waits.
    expect(r.slots.map((s) => [s.index, s.tokens])).toEqual([
      [2, 9500],
      [0, 500],
    ]);
    const lanes = await redis.hgetall(keys.lanes);
    expect(lanes).toMatchObject({ 'm:translate': '0.25', 'r:translate': '1', 'k:translate': '500', 'm:theme': '0', 'r:theme': '1', 'k:theme': '9500' });
    // insight got nothing and wants more (what lets a lane below its share reach further than the others).
    expect(lanes).toMatchObject({ 'm:insight': '0.5', 'r:insight': '0', 'k:insight': '0', 'w:insight': String(r.nowUs) });
    expect(Number(lanes['w:theme'])).toBeLessThan(r.nowUs);
    // The turn cursor is the caller's lane's.
    expect(lanes['c:translate']).toBeDefined();
    expect(lanes['c:insight']).toBeUndefined();
  });

  it('lets a lane below its share go first in best fit while the lane over its share is cut', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000, { pace: 1000, hn: 100_000 });
    await reserve(keys, cfg, { normal: [9000] });
    // Lane a took everything lately; lane b, with a minimum share of a half, got nothing and wants more.
    const [sec, us] = (await redis.time()).map(Number) as [number, number];
    const t = String(sec * 1e6 + us);
    await redis.hset(keys.lanes, { 'm:a': '0.25', 'r:a': '10', 'k:a': '10000', 'u:a': t, 'w:a': t, 'm:b': '0.5', 'r:b': '0', 'k:b': '0', 'u:b': t, 'w:b': t });
    // 1000 free: best fit alone would take a's 900; b's 500 goes instead.
    const r = await reserve(keys, cfg, { lane: 'a', share: 0.25, normal: [900, 500], normalLanes: ['a', 'b'], laneShares: { a: 0.25, b: 0.5 } });
    expect(r.slots.map((s) => [s.index, s.tokens])).toEqual([[1, 500]]);
  });

  it('settles: a decrease frees the window at once, an increase is charged', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000, { pace: 1000 });
    const a = await reserve(keys, cfg, { normal: [6000] });
    const slot = (a.slots[0] as { slotUs: number }).slotUs;
    expect((await reserve(keys, cfg, { normal: [6000] })).slots).toEqual([]);
    // The call counted 2000 less: a 6000 now fits.
    const b = await reserve(keys, cfg, { normal: [6000], adjust: [[slot, -2000, 0]] });
    expect(b.slots).toHaveLength(1);
    expect(await redis.zrange(keys.tokens, 0, -1)).toEqual([`${slot}:4000`, `${(b.slots[0] as { slotUs: number }).slotUs}:6000`]);
    // It counted more after all: the window is over, later grants wait.
    const c = await reserve(keys, cfg, { normal: [1], adjust: [[slot, 3000, 0]] });
    expect(c.slots).toEqual([]);
  });

  it('charges an under-estimate whose window is past to the pacing cursor', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000);
    await reserve(keys, cfg, { normal: [1000] });
    const ttat = Number(await redis.hget(keys.state, 'ttat'));
    const r = await reserve(keys, cfg, { adjust: [[1, 5000, 0]] });
    // 5000 tokens at the pacing rate (1.25 × 10000 per window).
    expect(Number(await redis.hget(keys.state, 'ttat'))).toBeGreaterThanOrEqual(Math.max(ttat, r.nowUs) + Math.floor((5000 * W) / 12_500));
  });

  it('counts tokens and grants per second for stats, minus cancels', async () => {
    const keys = freshKeys();
    const cfg = withTokens(100_000);
    const r = await reserve(keys, cfg, { normal: [100, 200, 300] });
    expect(r.slots).toHaveLength(3);
    const s0 = r.slots[0] as { slotUs: number };
    await reserve(keys, cfg, { adjust: [[s0.slotUs, -100, 1]] });
    const last = Math.floor(Math.max(...slotTimes(r)) / 1e6);
    const stats = () => scripts.stats(keys, { ramp: 0, floor: 0.1, rec: 60_000_000 });
    while (Math.floor((await stats()).nowUs / 1e6) <= last) await new Promise((res) => setTimeout(res, 50));
    const s = await stats();
    expect(s.grantedLast10s).toBe(2);
    expect(s.tokensLast10s).toBe(500);
  });
});

describe('reserve.lua: give-backs', () => {
  const ahead = { ...base, fence: 500_000, hn: 1_000_000, hv: 1_200_000 };

  it('keeps a given-back slot with its tokens for the next demand that fits', async () => {
    const keys = freshKeys();
    const cfg = withTokens(100_000, { fence: 500_000, hn: 1_000_000, hv: 1_200_000 });
    const a = await reserve(keys, cfg, { normal: [500, 500] });
    const given = a.slots[1] as { slotUs: number };
    const g = await reserve(keys, cfg, { release: [[given.slotUs, 500]] });
    expect(g.released).toBe(1);
    // Too big for it: a new slot.
    const big = await reserve(keys, cfg, { normal: [800] });
    expect(slotTimes(big)).not.toContain(given.slotUs);
    const small = await reserve(keys, cfg, { normal: [300] });
    expect(slotTimes(small)).toEqual([given.slotUs]);
    expect(await redis.zcard(keys.free)).toBe(0);
    expect(await redis.zrangebyscore(keys.tokens, given.slotUs, given.slotUs)).toEqual([`${given.slotUs}:300`]);
  });

  it('hands a given-back slot to anyone when there is no token limit', async () => {
    const keys = freshKeys();
    const a = await reserve(keys, ahead, { normal: zeros(5) });
    await reserve(keys, ahead, { normal: [0] });
    expect((await reserve(keys, ahead, { release: [[slotTimes(a)[1] as number, 0]] })).released).toBe(1);
    const b = await reserve(keys, ahead, { normal: [7] });
    expect(slotTimes(b)).toEqual([slotTimes(a)[1]]);
  });
});

describe('reserve.lua: lanes', () => {
  it('shortens the horizon of a lane above its share while another lane below its own wants more', async () => {
    const keys = freshKeys();
    // Slots 100 ms apart: b's call right after a's finds no new slot in reach
    // unless 100 ms pass between the two (a loaded machine needs that slack).
    const cfg = { ...base, iv: 100_000, hn: 500_000, ho: 200_000 };
    // Lane a takes the whole horizon; lane b (min share 0.5) gets nothing and is left wanting.
    const a = await reserve(keys, cfg, { normal: zeros(20), lane: 'a', share: 0.1 });
    const b = await reserve(keys, cfg, { normal: zeros(20), lane: 'b', share: 0.5 });
    expect(b.slots.length).toBeLessThanOrEqual(Math.floor((b.nowUs - a.nowUs) / 100_000));
    // (b stays wanting for 1 s.)
    await new Promise((res) => setTimeout(res, 600));
    // Now a (over its share, b wanting below its own) may only reach 200 ms ahead, b 500 ms.
    const a2 = await reserve(keys, cfg, { normal: zeros(20), lane: 'a', share: 0.1 });
    const b2 = await reserve(keys, cfg, { normal: zeros(20), lane: 'b', share: 0.5 });
    for (const s of a2.slots) expect(s.slotUs).toBeLessThanOrEqual(a2.nowUs + 200_000);
    expect(b2.slots.length).toBeGreaterThan(0);
    expect(Math.max(...slotTimes(b2))).toBeGreaterThan(b2.nowUs + 200_000);
    const lanes = (await scripts.stats(keys, { ramp: 0, floor: 0.1, rec: 1 })).lanes;
    expect(lanes.map((l) => [l.lane, l.minShare])).toEqual([
      ['a', 0.1],
      ['b', 0.5],
    ]);
  });
});

describe('reserve.lua: ramp', () => {
  it('spaces slots by the ramp: the floor share at first, the full limit after rampMs', async () => {
    const keys = freshKeys();
    const cfg = { ...base, ramp: 2_000_000, floor: 0.1, fence: 0, hn: 400_000 };
    const first = await reserve(keys, cfg, { normal: zeros(64) });
    const t = slotTimes(first);
    expect(first.requestsFactor).toBeCloseTo(0.1, 2);
    // At 10 % of 200 RPS: about 50 ms apart.
    expect((t[1] as number) - (t[0] as number)).toBeGreaterThanOrEqual(Math.ceil(interval / 0.11));
    // As if the ramp had started 3 s ago.
    await redis.hset(keys.state, 'ramp', String(first.nowUs - 3_000_000));
    const later = await reserve(keys, cfg, { normal: zeros(64) });
    expect(later.requestsFactor).toBe(1);
  });

  it('restarts the ramp after a cold spell without grants', async () => {
    const keys = freshKeys();
    const cfg = { ...base, ramp: 2_000_000, cold: 200_000 };
    const r = await reserve(keys, cfg, { normal: [0] });
    await redis.hset(keys.state, 'ramp', String(r.nowUs - 5_000_000));
    expect((await reserve(keys, cfg, { normal: [0] })).requestsFactor).toBe(1);
    await new Promise((res) => setTimeout(res, 700));
    expect((await reserve(keys, cfg, { normal: [0] })).requestsFactor).toBeLessThan(0.2);
  });
});

describe('pause.lua', () => {
  const pauseArgs = { reason: 'test', factor: 0.5, min: 0.25, recoveryUs: 60_000_000 };

  it('keeps every reservation after the pause and announces it', async () => {
    const keys = freshKeys();
    await reserve(keys, base, { normal: [0] });
    const sub = env.clients.create();
    const messages: string[] = [];
    await sub.subscribe(keys.channel);
    sub.on('message', (_c: string, m: string) => messages.push(m));
    const p = await scripts.pause(keys, { ...pauseArgs, pauseUs: 2_000_000, cause: 'unknown' });
    expect(p.pausedUntilUs).toBe(p.nowUs + 2_000_000);
    const r = await reserve(keys, { ...base, hn: 3_000_000, hv: 3_100_000 }, { normal: [0] });
    expect(r.pausedUntilUs).toBe(p.pausedUntilUs);
    expect(r.slots[0]?.slotUs).toBeGreaterThanOrEqual(p.pausedUntilUs);
    const blocked = await reserve(keys, base, { normal: [0] });
    expect(blocked.slots).toEqual([]);
    expect(blocked.normalTurnUs).toBeGreaterThanOrEqual(p.pausedUntilUs - 100_000);
    for (let i = 0; i < 50 && messages.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    expect(JSON.parse(messages[0] as string)).toMatchObject({ type: 'pause', reason: 'test', cause: 'unknown', remainingMs: 2000 });
  });

  it('cuts the budget of the cause (requests or tokens) and restarts the ramp at the end of the pause', async () => {
    const keys = freshKeys();
    const cfg = withTokens(10_000, { ramp: 1_000_000 });
    await reserve(keys, cfg, { normal: [0] });
    await scripts.pause(keys, { ...pauseArgs, pauseUs: 100_000, cause: 'requests' });
    await scripts.pause(keys, { ...pauseArgs, pauseUs: 100_000, cause: 'requests' });
    await scripts.pause(keys, { ...pauseArgs, pauseUs: 100_000, cause: 'tokens' });
    const st = await redis.hgetall(keys.state);
    // 0.5, then 0.25 (the floor of cuts), for requests; 0.5 for tokens.
    expect(Number(st.cutR)).toBeCloseTo(0.25, 3);
    expect(Number(st.cutT)).toBeCloseTo(0.5, 3);
    expect(Number(st.ramp)).toBe(Number(st.paused));
    await new Promise((res) => setTimeout(res, 1300));
    const r = await reserve(keys, cfg, { normal: [0] });
    expect(r.requestsFactor).toBeGreaterThanOrEqual(0.25);
    expect(r.requestsFactor).toBeLessThan(0.3);
    expect(r.tokensFactor).toBeGreaterThanOrEqual(0.5);
    expect(r.tokensFactor).toBeLessThan(0.55);
  });

  it('pauses for the asked time even right after Redis’ clock stepped back', async () => {
    const keys = freshKeys();
    const first = await reserve(keys, base, { normal: [0] });
    const step = 10_000_000;
    const tat = Number(await redis.hget(keys.state, 'tat'));
    await redis.hset(keys.state, 'tat', String(tat + step), 'last', String(first.nowUs + step));
    const p = await scripts.pause(keys, { ...pauseArgs, pauseUs: 1_000_000, cause: 'unknown' });
    expect(p.pausedUntilUs).toBe(p.nowUs + 1_000_000);
    const r = await reserve(keys, { ...base, hn: 2_000_000, hv: 2_100_000 }, { normal: [0] });
    expect(r.slots[0]?.slotUs).toBeGreaterThanOrEqual(p.pausedUntilUs);
    expect(r.slots[0]?.slotUs).toBeLessThan(r.nowUs + 2_000_000);
  });
});

describe('control.lua: halt and resume', () => {
  it('grants nothing while halted but one probe per interval, fleet-wide; resume lets everyone go', async () => {
    const keys = freshKeys();
    await reserve(keys, base, { normal: [0] });
    const h = await scripts.control(keys, 'halt', 'Arrearage', 300_000);
    expect(h.changed).toBe(true);
    const blocked = await reserve(keys, base, { vip: [0], normal: [0, 0] });
    expect(blocked.slots).toEqual([]);
    expect(blocked.haltReason).toBe('Arrearage');
    expect(blocked.vipTurnUs).toBe(h.nextProbeUs);
    await new Promise((res) => setTimeout(res, 350));
    const probe = await reserve(keys, base, { normal: [0, 0] });
    expect(probe.slots.map((s) => s.probe)).toEqual([true]);
    // The probe is taken: the next one only after another interval.
    expect((await reserve(keys, base, { normal: [0] })).slots).toEqual([]);
    // Halting again (the probe failed) keeps the schedule.
    expect((await scripts.control(keys, 'halt', 'Arrearage', 300_000)).changed).toBe(false);
    expect((await scripts.control(keys, 'resume', 'operator')).changed).toBe(true);
    const after = await reserve(keys, base, { normal: [0] });
    expect(after.haltReason).toBeUndefined();
    expect(after.slots).toHaveLength(1);
    expect((await scripts.control(keys, 'resume', 'again')).changed).toBe(false);
  });
});

describe('stats.lua', () => {
  it('reports the halt and the budget below the limits', async () => {
    const keys = freshKeys();
    await reserve(keys, base, { normal: [0] });
    await scripts.control(keys, 'halt', 'quota exhausted', 60_000_000);
    await scripts.pause(keys, { reason: 'x', pauseUs: 10_000, cause: 'tokens', factor: 0.5, min: 0.25, recoveryUs: 60_000_000 });
    const s = await scripts.stats(keys, { ramp: 0, floor: 0.1, rec: 60_000_000 });
    expect(s.haltReason).toBe('quota exhausted');
    expect(s.nextProbeUs).toBeGreaterThan(s.nowUs + 59_000_000);
    expect(s.tokensFactor).toBeLessThan(0.6);
    expect(s.requestsFactor).toBe(1);
    expect(s.fullAtUs).toBeGreaterThan(s.nowUs + 59_000_000);
  });
});
