/**
 * The most timestamps in any sliding window [t, t + windowMs): what "no
 * 1-second window holds more than rps grants" is checked against, exactly.
 * Windows starting at a timestamp suffice (any window can slide right to its
 * first timestamp without losing one).
 */
export function maxInSlidingWindow(timestampsMs: readonly number[], windowMs = 1000): { count: number; startMs: number | undefined } {
  const r = maxWeightedInSlidingWindow(
    timestampsMs.map((at) => ({ at, weight: 1 })),
    windowMs,
  );
  return { count: r.total, startMs: r.startMs };
}

/**
 * The largest sum of weights (tokens) in any sliding window [t, t + windowMs):
 * what "no 1-second window holds more than the token limit" is checked against.
 */
export function maxWeightedInSlidingWindow(
  events: readonly { at: number; weight: number }[],
  windowMs = 1000,
): { total: number; startMs: number | undefined } {
  const e = [...events].sort((a, b) => a.at - b.at);
  let best = 0;
  let startMs: number | undefined;
  let j = 0;
  let sum = 0;
  for (let i = 0; i < e.length; i++) {
    const start = (e[i] as { at: number }).at;
    if (j < i) {
      j = i;
      sum = 0;
    }
    while (j < e.length && (e[j] as { at: number }).at - start < windowMs) sum += (e[j++] as { weight: number }).weight;
    if (sum > best) {
      best = sum;
      startMs = start;
    }
    sum -= (e[i] as { weight: number }).weight;
  }
  return { total: best, startMs };
}
