import { startTestStack, type TestStack } from '@voc/local-stack';
import type { Redis } from 'ioredis';
import { LimiterScripts, limiterKeys } from '../src/scripts';
import { Clients } from './support';

jest.setTimeout(30_000);

let stack: TestStack;
let clients: Clients;
let redis: Redis;
let scripts: LimiterScripts;
beforeAll(async () => {
  stack = await startTestStack({ redis: true });
  clients = new Clients(stack.redisUrl);
  redis = clients.create();
  scripts = new LimiterScripts(redis);
});
afterAll(async () => {
  clients.closeAll();
  await stack.stop();
});

const interval = 5050; // 200 RPS with a 10 ms margin
const base = { intervalUs: interval, horizonUs: 100_000, turnSlots: 9, vip: false, initDelayUs: 0, rps: 200 };
let n = 0;
const freshKeys = () => limiterKeys('rl', `script-${++n}`);
// Slots well in the future, so that a slow test machine cannot turn them into past ones mid-test.
const ahead = { initDelayUs: 500_000, horizonUs: 1_000_000 };

describe('reserve.lua', () => {
  it('hands out slots exactly one interval apart, within the horizon, at µs precision', async () => {
    const keys = freshKeys();
    const r = await scripts.reserve(keys, { ...base, wanted: 64 });
    expect(r.slotsUs.length).toBe(Math.floor(100_000 / interval) + 1);
    r.slotsUs.forEach((s, i) => expect(s - (r.slotsUs[0] as number)).toBe(i * interval));
    expect(r.slotsUs[0]).toBeGreaterThanOrEqual(r.nowUs);
    expect(r.slotsUs.at(-1)).toBeLessThanOrEqual(r.nowUs + 100_000);
    // Stored as exact integers (Lua's default number format would round µs away).
    expect(await redis.hget(keys.state, 'tat')).toBe(String((r.slotsUs.at(-1) as number) + interval));
    // It wanted more: a turn is given for when the next lease fits.
    expect(r.nextTurnUs).toBeGreaterThan(r.nowUs);
  });

  it('starts a missing schedule after the init delay', async () => {
    const r = await scripts.reserve(freshKeys(), { ...base, wanted: 1, initDelayUs: 50_000 });
    expect(r.slotsUs[0]).toBeGreaterThanOrEqual(r.nowUs + 50_000);
  });

  it('gives later callers turns one after another, not all at once', async () => {
    const keys = freshKeys();
    await scripts.reserve(keys, { ...base, wanted: 64 });
    const turns = [];
    for (let i = 0; i < 3; i++) turns.push((await scripts.reserve(keys, { ...base, wanted: 64 })).nextTurnUs as number);
    expect(turns[1] as number).toBeGreaterThanOrEqual((turns[0] as number) + 9 * interval);
    expect(turns[2] as number).toBeGreaterThanOrEqual((turns[1] as number) + 9 * interval);
  });

  it('lets vip reserve beyond the normal horizon, so vip lands before later normal reservations', async () => {
    const keys = freshKeys();
    // 10 RPS: a new slot enters a horizon only every 100 ms, however slow the machine.
    const slow = { ...base, intervalUs: 100_000, horizonUs: 300_000 };
    await scripts.reserve(keys, { ...slow, wanted: 64 }); // the normal horizon is now full
    const normal = await scripts.reserve(keys, { ...slow, wanted: 1 });
    expect(normal.slotsUs).toEqual([]);
    const vip = await scripts.reserve(keys, { ...slow, wanted: 1, vip: true, horizonUs: 600_000, turnSlots: 1 });
    expect(vip.slotsUs).toHaveLength(1);
  });

  it('shifts the schedule when Redis’ clock steps back, keeping its place in real time', async () => {
    const keys = freshKeys();
    const first = await scripts.reserve(keys, { ...base, wanted: 1 });
    const step = 10_000_000;
    // As if the clock had read 10 s later until now.
    const tat = Number(await redis.hget(keys.state, 'tat'));
    await redis.hset(keys.state, 'tat', String(tat + step), 'last', String(first.nowUs + step));
    const next = await scripts.reserve(keys, { ...base, wanted: 1 });
    expect(next.slotsUs[0]).toBeLessThan(next.nowUs + 100_000);
    expect(next.slotsUs[0]).toBeGreaterThanOrEqual(tat);
  });
});

describe('release.lua', () => {
  it('takes the schedule’s last slots off it, so they are handed out again', async () => {
    const keys = freshKeys();
    const r = await scripts.reserve(keys, { ...base, ...ahead, wanted: 5 });
    expect(await scripts.release(keys, interval, r.slotsUs.slice(3))).toBe(2);
    const again = await scripts.reserve(keys, { ...base, ...ahead, wanted: 2 });
    expect(again.slotsUs).toEqual(r.slotsUs.slice(3));
  });

  it('keeps other slots in the free set for the next reservation of anyone', async () => {
    const keys = freshKeys();
    const a = await scripts.reserve(keys, { ...base, ...ahead, wanted: 5 });
    await scripts.reserve(keys, { ...base, ...ahead, wanted: 1 });
    expect(await scripts.release(keys, interval, [a.slotsUs[1] as number])).toBe(1);
    expect(await redis.zcard(keys.free)).toBe(1);
    const b = await scripts.reserve(keys, { ...base, ...ahead, wanted: 1 });
    expect(b.slotsUs).toEqual([a.slotsUs[1]]);
    expect(await redis.zcard(keys.free)).toBe(0);
  });

  it('ignores slots of a schedule Redis no longer has', async () => {
    expect(await scripts.release(freshKeys(), interval, [1, 2])).toBe(0);
  });
});

describe('pause.lua', () => {
  it('keeps every reservation after the pause and announces it', async () => {
    const keys = freshKeys();
    const sub = clients.create();
    const messages: string[] = [];
    await sub.subscribe(keys.channel);
    sub.on('message', (_c: string, m: string) => messages.push(m));
    const p = await scripts.pause(keys, 2_000_000, 'test');
    expect(p.pausedUntilUs).toBe(p.nowUs + 2_000_000);
    const r = await scripts.reserve(keys, { ...base, wanted: 1, horizonUs: 3_000_000 });
    expect(r.pausedUntilUs).toBe(p.pausedUntilUs);
    expect(r.slotsUs[0]).toBeGreaterThanOrEqual(p.pausedUntilUs);
    const blocked = await scripts.reserve(keys, { ...base, wanted: 1 });
    expect(blocked.slotsUs).toEqual([]);
    expect(blocked.nextTurnUs).toBeGreaterThanOrEqual(p.pausedUntilUs - 100_000);
    for (let i = 0; i < 50 && messages.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    expect(JSON.parse(messages[0] as string)).toMatchObject({ type: 'pause', reason: 'test', remainingMs: 2000 });
  });
  it('pauses for the asked time even right after Redis’ clock stepped back', async () => {
    const keys = freshKeys();
    const first = await scripts.reserve(keys, { ...base, wanted: 1 });
    const step = 10_000_000;
    const tat = Number(await redis.hget(keys.state, 'tat'));
    await redis.hset(keys.state, 'tat', String(tat + step), 'last', String(first.nowUs + step));
    const p = await scripts.pause(keys, 1_000_000, 'test');
    expect(p.pausedUntilUs).toBe(p.nowUs + 1_000_000);
    const r = await scripts.reserve(keys, { ...base, wanted: 1, horizonUs: 2_000_000 });
    expect(r.slotsUs[0]).toBeGreaterThanOrEqual(p.pausedUntilUs);
    expect(r.slotsUs[0]).toBeLessThan(r.nowUs + 2_000_000);
  });
});

describe('stats.lua', () => {
  it('counts grants by the second of their slot, minus slots given back', async () => {
    const keys = freshKeys();
    const r = await scripts.reserve(keys, { ...base, wanted: 10 });
    await scripts.release(keys, interval, r.slotsUs.slice(6));
    // Wait until every slot's second is a full past second.
    const lastSecond = Math.floor((r.slotsUs.at(5) as number) / 1e6);
    while (Math.floor((await scripts.stats(keys)).nowUs / 1e6) <= lastSecond) await new Promise((res) => setTimeout(res, 50));
    const s = await scripts.stats(keys);
    expect(s.grantedLast10s).toBe(6);
    expect(s.pausedUntilUs).toBeUndefined();
  });
});
