import type { LimiterTuning, Priority } from './types';

/** The settings one limiter runs with, all times in the unit their name says. */
export interface ResolvedTuning {
  rps: number;
  marginMs: number;
  /** Slot spacing on the Redis schedule. */
  intervalUs: number;
  horizonUs: Record<Priority, number>;
  /** Slots asked for per turn. */
  leaseSlots: Record<Priority, number>;
  maxLeaseSlots: number;
  /** Where the schedule starts when its state is missing: past every slot a process may hold. */
  initDelayUs: number;
  redisTimeoutMs: number;
  maxPauseMs: number;
  keyPrefix: string;
}

function positive(name: string, value: number, { integer = false, min = 0 } = {}): number {
  if (!Number.isFinite(value) || value <= min || (integer && !Number.isInteger(value))) {
    throw new RangeError(`rate limiter: ${name} must be ${integer ? 'an integer ' : 'a number '}> ${min}, got ${value}`);
  }
  return value;
}

export function resolveTuning(rps: number, t: LimiterTuning = {}): ResolvedTuning {
  positive('rps', rps);
  const marginMs = positive('marginMs', t.marginMs ?? 10);
  const normalHorizonMs = positive('normalHorizonMs', t.normalHorizonMs ?? 100);
  const vipHorizonMs = positive('vipHorizonMs', t.vipHorizonMs ?? 300);
  if (vipHorizonMs <= normalHorizonMs) {
    throw new RangeError(
      `rate limiter: vipHorizonMs (${vipHorizonMs}) must exceed normalHorizonMs (${normalHorizonMs}), or vip callers could not overtake normal ones`,
    );
  }
  // Rounded up: slots a little further apart never break the limit.
  const intervalUs = Math.ceil(((1000 + marginMs) * 1000) / rps);
  const horizonUs = { vip: Math.round(vipHorizonMs * 1000), normal: Math.round(normalHorizonMs * 1000) };
  // Half a horizon per turn: the next turn comes while half a horizon of
  // slots is still reserved, which absorbs late wake-ups without gaps.
  const lease = (h: number) => Math.max(1, Math.floor(h / (2 * intervalUs)));
  const maxLeaseSlots = positive('maxLeaseSlots', t.maxLeaseSlots ?? 64, { integer: true });
  const leaseSlots = {
    normal: Math.min(maxLeaseSlots, t.leaseSlots ?? lease(horizonUs.normal)),
    vip: Math.min(maxLeaseSlots, t.leaseSlots ?? lease(horizonUs.vip)),
  };
  positive('leaseSlots', leaseSlots.normal, { integer: true });
  return {
    rps,
    marginMs,
    intervalUs,
    horizonUs,
    leaseSlots,
    maxLeaseSlots,
    initDelayUs: horizonUs.vip + intervalUs,
    redisTimeoutMs: positive('redisTimeoutMs', t.redisTimeoutMs ?? 1000),
    maxPauseMs: positive('maxPauseMs', t.maxPauseMs ?? 300_000),
    keyPrefix: t.keyPrefix ?? 'rl',
  };
}
