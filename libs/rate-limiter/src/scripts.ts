import type { Redis } from 'ioredis';
import { LUA_SCRIPTS } from './lua/generated/scripts';
import type { PauseCause } from './types';

/** The Redis keys of one limiter key. The hash tag keeps them in one Redis Cluster slot. */
export interface LimiterKeys {
  state: string;
  free: string;
  granted: string;
  /** Token log: (slot, tokens) of the current window. */
  tokens: string;
  lanes: string;
  /** Pub/sub channel for fleet events (pause, halt, resume). */
  channel: string;
}

export function limiterKeys(prefix: string, key: string): LimiterKeys {
  const tag = `${prefix}:{${key}}`;
  return {
    state: `${tag}:state`,
    free: `${tag}:free`,
    granted: `${tag}:granted`,
    tokens: `${tag}:tokens`,
    lanes: `${tag}:lanes`,
    channel: `${tag}:events`,
  };
}

/** The part of reserve.lua's arguments that is the same on every call of one limiter. */
export interface ReserveConfig {
  /** Slot spacing µs at the full request limit. */
  iv: number;
  /** Window µs. */
  w: number;
  /** Tokens per window (0: none). */
  tpw: number;
  /** Horizons µs: vip, normal, normal lane above its share. */
  hv: number;
  hn: number;
  ho: number;
  /** Slots per turn: vip, normal. */
  tv: number;
  tn: number;
  fence: number;
  ramp: number;
  floor: number;
  cold: number;
  rec: number;
  pace: number;
  recheck: number;
  /** "rps/tpm" of this process, stored so a mismatch between processes can be reported. */
  id: string;
}

/** reserve.lua's ARGV[1..16], in its order. */
export function reserveConfigArgs(c: ReserveConfig): (string | number)[] {
  return [c.iv, c.w, c.tpw, c.hv, c.hn, c.ho, c.tv, c.tn, c.fence, c.ramp, c.floor, c.cold, c.rec, c.pace, c.recheck, c.id];
}

export interface ReserveRequest {
  /** This call's normal horizon µs (the configured one, stretched on a slow connection). */
  hn?: number;
  /** Tokens of each vip demand, in serving order. */
  vip: number[];
  /** Tokens of each normal demand of `lane`, in serving order. */
  normal: number[];
  /**
   * How many normal demands, from the first, are held in place: placed in
   * order at their earliest time, nothing going ahead of them that would
   * delay them. The others are placed best fit. Default 0.
   */
  held?: number;
  /**
   * The lane of each normal demand when they are not all of `lane` (a token
   * limit: best fit packs better from every lane's callers), and the
   * minimum shares of those lanes.
   */
  normalLanes?: readonly string[];
  laneShares?: Readonly<Record<string, number>>;
  lane: string;
  /** Minimum share of `lane`. */
  share: number;
  /** Held slots given back: [slot µs, tokens]. */
  release: [number, number][];
  /** Settles and cancels: [slot µs, token delta, 1 if the request was never sent]. */
  adjust: [number, number, 0 | 1][];
  /**
   * No new slot for this call before Redis' now + this (µs): about one round
   * trip as the caller sees it (reply and event-loop delay included), so a
   * slot placed on an idle schedule is not already late when its reply is
   * handled. Default 0.
   */
  leadUs?: number;
  /**
   * How late (µs, beyond the margin) this caller may use its new slots: its
   * event loop runs that late. Given only while the schedule is idle, at
   * most a quarter window (reserve.lua: Extensions). Default 0.
   */
  extUs?: number;
}

export interface ReservedSlot {
  slotUs: number;
  tokens: number;
  priority: 'vip' | 'normal';
  /** Index into the request's vip or normal list. */
  index: number;
  probe: boolean;
  /** How late beyond the margin the slot may be used (µs; 0: not extended). */
  extUs: number;
}

export interface ReserveReply {
  nowUs: number;
  /** When to come back for more (Redis µs), or undefined when everything wanted was granted. */
  vipTurnUs: number | undefined;
  normalTurnUs: number | undefined;
  pausedUntilUs: number | undefined;
  /** The state was missing or written by another Redis server: the schedule was fenced. */
  fenced: boolean;
  haltReason: string | undefined;
  nextProbeUs: number | undefined;
  /** The "rps/tpm" the previous caller on this key used, if any. */
  previousId: string | undefined;
  requestsFactor: number;
  tokensFactor: number;
  /** Given-back slots that can be handed out again. */
  released: number;
  slots: ReservedSlot[];
}

export interface StatsReply {
  nowUs: number;
  pausedUntilUs: number | undefined;
  haltReason: string | undefined;
  haltedSinceUs: number;
  nextProbeUs: number;
  grantedLastSecond: number;
  grantedLast10s: number;
  tokensLastSecond: number;
  tokensLast10s: number;
  requestsFactor: number;
  tokensFactor: number;
  /** When both budgets are back to their full limits (Redis µs), or undefined when they are. */
  fullAtUs: number | undefined;
  lanes: { lane: string; minShare: number; share: number; wanting: boolean }[];
}

// ioredis adds one method per defineCommand; these are ours.
const COMMANDS = {
  reserve: { name: 'vocRateLimiterReserve2', numberOfKeys: 5 },
  pause: { name: 'vocRateLimiterPause2', numberOfKeys: 2 },
  control: { name: 'vocRateLimiterControl', numberOfKeys: 1 },
  stats: { name: 'vocRateLimiterStats2', numberOfKeys: 3 },
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

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const positive = (v: unknown, what: string): number | undefined => {
  const n = num(v, what);
  return n > 0 ? n : undefined;
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
    this.cmd = { reserve: bind('reserve'), pause: bind('pause'), control: bind('control'), stats: bind('stats') };
  }

  /** Reserves slots, gives slots back and applies settles, in one atomic call. `config` from reserveConfigArgs(). */
  async reserve(keys: LimiterKeys, config: readonly (string | number)[], req: ReserveRequest): Promise<ReserveReply> {
    const args: (string | number)[] = [keys.state, keys.free, keys.granted, keys.tokens, keys.lanes, ...config];
    args.push(req.hn ?? '', req.lane, req.share, req.vip.length, req.normal.length, req.release.length, req.adjust.length, req.held ?? 0);
    // Other lanes of the normal demands: their names and shares, then each demand's lane index (0: req.lane).
    const others: string[] = [];
    for (const l of req.normalLanes ?? []) if (l !== req.lane && !others.includes(l)) others.push(l);
    args.push(others.length);
    for (const l of others) args.push(l, req.laneShares?.[l] ?? 0);
    args.push(...req.vip, ...req.normal);
    if (others.length > 0) args.push(...(req.normalLanes ?? []).map((l) => others.indexOf(l) + 1));
    args.push(...req.release.flat(), ...req.adjust.flat(), Math.max(0, Math.round(req.leadUs ?? 0)), Math.max(0, Math.round(req.extUs ?? 0)));
    const r = array(await this.cmd.reserve(...args), 'reserve', 12);
    const flags = num(r[4], 'flags');
    const slots: ReservedSlot[] = [];
    const n = num(r[11], 'slot count');
    for (let i = 0; i < n; i++) {
      const o = 12 + 6 * i;
      slots.push({
        slotUs: num(r[o], 'slot'),
        tokens: num(r[o + 1], 'tokens'),
        priority: num(r[o + 2], 'class') === 0 ? 'vip' : 'normal',
        index: num(r[o + 3], 'index') - 1,
        probe: num(r[o + 4], 'probe') === 1,
        extUs: num(r[o + 5], 'extension'),
      });
    }
    const turn = (v: unknown) => {
      const t = num(v, 'turn');
      return t >= 0 ? t : undefined;
    };
    return {
      nowUs: num(r[0], 'time'),
      vipTurnUs: turn(r[1]),
      normalTurnUs: turn(r[2]),
      pausedUntilUs: positive(r[3], 'pause'),
      fenced: (flags & 1) !== 0,
      haltReason: (flags & 2) !== 0 ? (str(r[6]) ?? 'halted') : undefined,
      previousId: str(r[5]),
      nextProbeUs: positive(r[7], 'next probe'),
      requestsFactor: num(r[8], 'factor') / 1e6,
      tokensFactor: num(r[9], 'factor') / 1e6,
      released: num(r[10], 'released'),
      slots,
    };
  }

  async pause(
    keys: LimiterKeys,
    a: { pauseUs: number; reason: string; cause: PauseCause; factor: number; min: number; recoveryUs: number },
  ): Promise<{ nowUs: number; pausedUntilUs: number }> {
    const r = array(
      await this.cmd.pause(keys.state, keys.free, Math.round(a.pauseUs), keys.channel, a.reason, a.cause, a.factor, a.min, a.recoveryUs),
      'pause',
      2,
    );
    return { nowUs: num(r[0], 'time'), pausedUntilUs: num(r[1], 'pause') };
  }

  async control(
    keys: LimiterKeys,
    op: 'halt' | 'resume',
    reason: string,
    probeEveryUs = 0,
  ): Promise<{ nowUs: number; haltedSinceUs: number; nextProbeUs: number; changed: boolean }> {
    const r = array(await this.cmd.control(keys.state, op, reason, Math.round(probeEveryUs), keys.channel), 'control', 4);
    return { nowUs: num(r[0], 'time'), haltedSinceUs: num(r[1], 'since'), nextProbeUs: num(r[2], 'probe'), changed: num(r[3], 'changed') === 1 };
  }

  async stats(keys: LimiterKeys, cfg: { ramp: number; floor: number; rec: number }): Promise<StatsReply> {
    const r = array(await this.cmd.stats(keys.state, keys.granted, keys.lanes, cfg.ramp, cfg.floor, cfg.rec), 'stats', 13);
    const lanes: StatsReply['lanes'] = [];
    for (let i = 0; i < num(r[12], 'lane count'); i++) {
      const o = 13 + 4 * i;
      lanes.push({ lane: String(r[o]), minShare: num(r[o + 1], 'share') / 1e6, share: num(r[o + 2], 'share') / 1e6, wanting: num(r[o + 3], 'wanting') === 1 });
    }
    lanes.sort((a, b) => a.lane.localeCompare(b.lane));
    return {
      nowUs: num(r[0], 'time'),
      pausedUntilUs: positive(r[1], 'pause'),
      haltReason: str(r[2]),
      haltedSinceUs: num(r[3], 'since'),
      nextProbeUs: num(r[4], 'probe'),
      grantedLastSecond: num(r[5], 'count'),
      grantedLast10s: num(r[6], 'count'),
      tokensLastSecond: num(r[7], 'count'),
      tokensLast10s: num(r[8], 'count'),
      requestsFactor: num(r[9], 'factor') / 1e6,
      tokensFactor: num(r[10], 'factor') / 1e6,
      fullAtUs: positive(r[11], 'full at'),
      lanes,
    };
  }
}
