import { DEFAULT_LANE_SHARES, validateLaneShares } from './lanes';
import type { LimiterTuning, Priority } from './types';

/** The defaults of every tuning option, in one place (README: Tuning). */
export const DEFAULT_TUNING = Object.freeze({
  marginMs: 10,
  normalHorizonMs: 50,
  vipHorizonMs: 300,
  maxLeaseSlots: 64,
  rampMs: 5000,
  rampFloor: 0.1,
  coldAfterMs: 10_000,
  backoffFactor: 0.8,
  minFactor: 0.25,
  recoveryMs: 60_000,
  tokenPacing: 1.25,
  settleFlushMs: 250,
  redisTimeoutMs: 1000,
  maxPauseMs: 300_000,
  probeEveryMs: 60_000,
  keyPrefix: 'rl',
  checkpoints: true,
  handoffMs: 0,
});

/**
 * The most a normal call may be passed over by later, smaller calls of its
 * process (best-fit packing of tokens) before it is held in place: from then
 * on it is placed at its earliest time and nothing that would delay it goes
 * first. About one window: by then every token in its way has left it.
 */
export const PASS_OVER_MS = 1000;

/** While halted, a waiting process asks again at least this often, so a resume reaches processes without the subscription. */
export const HALT_RECHECK_MS = 5000;

/** The settings one limiter runs with, all times in the unit their name says. */
export interface ResolvedTuning {
  rps: number;
  /** Tokens per minute; 0 = requests only. */
  tpm: number;
  marginMs: number;
  /** The window every limit holds over: 1 s + margin. */
  windowUs: number;
  /** Slot spacing on the Redis schedule at the full request limit. */
  intervalUs: number;
  /** Tokens per window (tpm / 60 per second); 0 = no token limit. */
  tokensPerWindow: number;
  horizonUs: Record<Priority, number>;
  /** Horizon of a lane above its minimum share while another lane is below its own. */
  overShareHorizonUs: number;
  /** Slots asked for per turn. */
  leaseSlots: Record<Priority, number>;
  maxLeaseSlots: number;
  fenceUs: number;
  rampUs: number;
  rampFloor: number;
  coldAfterUs: number;
  backoffFactor: number;
  minFactor: number;
  recoveryUs: number;
  tokenPacing: number;
  laneShares: Readonly<Record<string, number>>;
  settleFlushMs: number;
  redisTimeoutMs: number;
  maxPauseMs: number;
  keyPrefix: string;
  checkpoints: boolean;
  handoffMs: number;
}

function check(name: string, value: number, { integer = false, min = 0, inclusive = false, max = Infinity } = {}): number {
  const low = inclusive ? value < min : value <= min;
  if (!Number.isFinite(value) || low || value > max || (integer && !Number.isInteger(value))) {
    const range = `${inclusive ? '>=' : '>'} ${min}${max < Infinity ? ` and <= ${max}` : ''}`;
    throw new RangeError(`rate limiter: ${name} must be ${integer ? 'an integer ' : 'a number '}${range}, got ${value}`);
  }
  return value;
}

export function resolveTuning(rps: number, tpm: number, t: LimiterTuning = {}): ResolvedTuning {
  const d = DEFAULT_TUNING;
  check('rps', rps);
  check('tpm', tpm, { inclusive: true });
  const marginMs = check('marginMs', t.marginMs ?? d.marginMs);
  const normalHorizonMs = check('normalHorizonMs', t.normalHorizonMs ?? d.normalHorizonMs);
  const vipHorizonMs = check('vipHorizonMs', t.vipHorizonMs ?? d.vipHorizonMs);
  if (vipHorizonMs <= normalHorizonMs) {
    throw new RangeError(
      `rate limiter: vipHorizonMs (${vipHorizonMs}) must exceed normalHorizonMs (${normalHorizonMs}), or vip callers could not overtake normal ones`,
    );
  }
  // A slot handed off handoffMs ahead must be held that much earlier: every horizon (and the fence past them) moves with it.
  const handoffMs = check('handoffMs', t.handoffMs ?? d.handoffMs, { inclusive: true, max: 1000 });
  const windowUs = Math.round((1000 + marginMs) * 1000);
  // Rounded up: slots a little further apart never break the limit.
  const intervalUs = Math.ceil(windowUs / rps);
  // Rounded down: a little less per window never breaks the limit.
  const tokensPerWindow = Math.floor(tpm / 60);
  const horizonUs = { vip: Math.round((vipHorizonMs + handoffMs) * 1000), normal: Math.round((normalHorizonMs + handoffMs) * 1000) };
  // Half a horizon per turn: the next turn comes while half a horizon of
  // slots is still reserved, which absorbs late wake-ups without gaps (a
  // quarter left, measured, lost ~4 % of the rate to them).
  const lease = (h: number) => Math.max(1, Math.floor(h / (2 * intervalUs)));
  const maxLeaseSlots = check('maxLeaseSlots', t.maxLeaseSlots ?? d.maxLeaseSlots, { integer: true });
  const leaseSlots = {
    normal: Math.min(maxLeaseSlots, t.leaseSlots ?? lease(horizonUs.normal)),
    vip: Math.min(maxLeaseSlots, t.leaseSlots ?? lease(horizonUs.vip)),
  };
  check('leaseSlots', leaseSlots.normal, { integer: true });
  const fenceMs = Math.max(vipHorizonMs + handoffMs, check('fenceMs', t.fenceMs ?? 1000 + marginMs + vipHorizonMs + handoffMs, { inclusive: true }));
  return {
    rps,
    tpm,
    marginMs,
    windowUs,
    intervalUs,
    tokensPerWindow,
    horizonUs,
    // A quarter: the starved lane reserves well ahead of it (half was measured too weak: ≈ 53 % of 60 % owed under load).
    overShareHorizonUs: Math.round(horizonUs.normal / 4),
    leaseSlots,
    maxLeaseSlots,
    // Past every slot a process may still hold (≤ the vip horizon ahead).
    fenceUs: Math.round(fenceMs * 1000) + intervalUs,
    rampUs: Math.round(check('rampMs', t.rampMs ?? d.rampMs, { inclusive: true }) * 1000),
    rampFloor: check('rampFloor', t.rampFloor ?? d.rampFloor, { max: 1 }),
    coldAfterUs: Math.round(check('coldAfterMs', t.coldAfterMs ?? d.coldAfterMs) * 1000),
    backoffFactor: check('backoffFactor', t.backoffFactor ?? d.backoffFactor, { max: 1 }),
    minFactor: check('minFactor', t.minFactor ?? d.minFactor, { max: 1 }),
    recoveryUs: Math.round(check('recoveryMs', t.recoveryMs ?? d.recoveryMs) * 1000),
    tokenPacing: check('tokenPacing', t.tokenPacing ?? d.tokenPacing, { min: 1, inclusive: true }),
    laneShares: validateLaneShares(t.laneShares ?? DEFAULT_LANE_SHARES),
    settleFlushMs: check('settleFlushMs', t.settleFlushMs ?? d.settleFlushMs),
    redisTimeoutMs: check('redisTimeoutMs', t.redisTimeoutMs ?? d.redisTimeoutMs),
    maxPauseMs: check('maxPauseMs', t.maxPauseMs ?? d.maxPauseMs),
    keyPrefix: t.keyPrefix ?? d.keyPrefix,
    checkpoints: t.checkpoints ?? d.checkpoints,
    handoffMs,
  };
}
