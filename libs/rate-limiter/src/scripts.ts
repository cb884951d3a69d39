import type { Redis } from 'ioredis';
import { LUA_SCRIPTS } from './lua/generated/scripts';

/** The Redis keys of one limiter key. The hash tag keeps them in one Redis Cluster slot. */
export interface LimiterKeys {
  state: string;
  free: string;
  granted: string;
  /** Pub/sub channel for pause notifications. */
  channel: string;
}

export function limiterKeys(prefix: string, key: string): LimiterKeys {
  const tag = `${prefix}:{${key}}`;
  return { state: `${tag}:state`, free: `${tag}:free`, granted: `${tag}:granted`, channel: `${tag}:events` };
}

export interface ReserveReply {
  nowUs: number;
  /** When to come back for more (Redis µs), or undefined when everything wanted was granted. */
  nextTurnUs: number | undefined;
  pausedUntilUs: number | undefined;
  /** The rps the previous caller on this key used, if any. */
  previousRps: number | undefined;
  slotsUs: number[];
}

export interface StatsReply {
  nowUs: number;
  pausedUntilUs: number | undefined;
  grantedLastSecond: number;
  grantedLast10s: number;
}

// ioredis adds one method per defineCommand; these are ours.
const COMMANDS = {
  reserve: { name: 'vocRateLimiterReserve', numberOfKeys: 3 },
  release: { name: 'vocRateLimiterRelease', numberOfKeys: 3 },
  pause: { name: 'vocRateLimiterPause', numberOfKeys: 2 },
  stats: { name: 'vocRateLimiterStats', numberOfKeys: 2 },
} as const;

type ScriptMethod = (...args: (string | number)[]) => Promise<unknown>;

function num(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`rate limiter: unexpected ${what} in script reply: ${String(v)}`);
  return n;
}

function array(v: unknown, script: string, min: number): unknown[] {
  if (!Array.isArray(v) || v.length < min) throw new Error(`rate limiter: unexpected reply of ${script}: ${JSON.stringify(v)}`);
  return v;
}

const optionalNumber = (v: unknown): number | undefined => {
  const n = Number(v);
  return v === '' || v === null || !Number.isFinite(n) ? undefined : n;
};

/**
 * The limiter's Lua scripts on one ioredis client: defineCommand sends
 * EVALSHA and falls back to EVAL when Redis does not know the script
 * (first use, or after a restart).
 */
export class LimiterScripts {
  private readonly cmd: Record<keyof typeof COMMANDS, ScriptMethod>;

  constructor(redis: Redis) {
    const target = redis as unknown as Record<string, ScriptMethod | undefined>;
    const bind = (which: keyof typeof COMMANDS): ScriptMethod => {
      const { name, numberOfKeys } = COMMANDS[which];
      if (typeof target[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua: LUA_SCRIPTS[which] });
      const method = target[name];
      if (typeof method !== 'function') throw new Error(`rate limiter: could not define Redis command ${name}`);
      return method.bind(redis);
    };
    this.cmd = { reserve: bind('reserve'), release: bind('release'), pause: bind('pause'), stats: bind('stats') };
  }

  async reserve(
    keys: LimiterKeys,
    a: { wanted: number; intervalUs: number; horizonUs: number; turnSlots: number; vip: boolean; initDelayUs: number; rps: number },
  ): Promise<ReserveReply> {
    const r = array(
      await this.cmd.reserve(keys.state, keys.free, keys.granted, a.wanted, a.intervalUs, a.horizonUs, a.turnSlots, a.vip ? 'cv' : 'cn', a.initDelayUs, a.rps),
      'reserve',
      4,
    );
    const nextTurn = num(r[1], 'next turn');
    const paused = num(r[2], 'pause');
    return {
      nowUs: num(r[0], 'time'),
      nextTurnUs: nextTurn >= 0 ? nextTurn : undefined,
      pausedUntilUs: paused > 0 ? paused : undefined,
      previousRps: optionalNumber(r[3]),
      slotsUs: r.slice(4).map((s) => num(s, 'slot')),
    };
  }

  async release(keys: LimiterKeys, intervalUs: number, slotsUs: number[]): Promise<number> {
    return num(await this.cmd.release(keys.state, keys.free, keys.granted, intervalUs, ...slotsUs), 'release count');
  }

  async pause(keys: LimiterKeys, pauseUs: number, reason: string): Promise<{ nowUs: number; pausedUntilUs: number }> {
    const r = array(await this.cmd.pause(keys.state, keys.free, Math.round(pauseUs), keys.channel, reason), 'pause', 2);
    return { nowUs: num(r[0], 'time'), pausedUntilUs: num(r[1], 'pause') };
  }

  async stats(keys: LimiterKeys): Promise<StatsReply> {
    const r = array(await this.cmd.stats(keys.state, keys.granted), 'stats', 4);
    const paused = num(r[1], 'pause');
    return {
      nowUs: num(r[0], 'time'),
      pausedUntilUs: paused > 0 ? paused : undefined,
      grantedLastSecond: num(r[2], 'count'),
      grantedLast10s: num(r[3], 'count'),
    };
  }
}
