/**
 * Minimum shares of the budget per normal lane while the limiter is
 * saturated (issue 12): translation, insight and theme a quarter each, the
 * last quarter unreserved. Learning is the vip priority and goes first
 * anyway. Work-conserving: a share nobody uses goes to the others.
 */
export const DEFAULT_LANE_SHARES: Readonly<Record<string, number>> = Object.freeze({
  translate: 0.25,
  insight: 0.25,
  theme: 0.25,
});

/** The lane of a normal acquire() without one. */
export const DEFAULT_LANE = 'default';

const LANE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validLaneName(lane: string): boolean {
  return LANE_NAME.test(lane);
}

/** Throws a RangeError unless every share is in (0, 1], the names are lane names and the sum is at most 1. */
export function validateLaneShares(shares: Readonly<Record<string, number>>): Readonly<Record<string, number>> {
  let sum = 0;
  for (const [lane, share] of Object.entries(shares)) {
    if (!validLaneName(lane)) throw new RangeError(`rate limiter: '${lane}' is not a lane name (letters, digits, . _ -)`);
    if (!(share > 0 && share <= 1)) throw new RangeError(`rate limiter: the share of lane '${lane}' must be in (0, 1], got ${share}`);
    sum += share;
  }
  if (sum > 1 + 1e-9) throw new RangeError(`rate limiter: lane shares add up to ${sum}, more than the whole budget`);
  return Object.freeze({ ...shares });
}

/** Parses "translate=0.25, insight=0.25" (the form of LLM_LANE_SHARES). */
export function parseLaneShares(text: string): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([0-9]*\.?[0-9]+)$/.exec(part);
    if (!m) throw new RangeError(`'${part}' is not lane=share`);
    shares[m[1] as string] = Number(m[2]);
  }
  return validateLaneShares(shares) as Record<string, number>;
}
