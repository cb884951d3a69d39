/**
 * The most timestamps in any sliding window [t, t + windowMs): what "no
 * 1-second window holds more than rps grants" is checked against, exactly.
 * Windows starting at a timestamp suffice (any window can slide right to its
 * first timestamp without losing one).
 */
export function maxInSlidingWindow(timestampsMs: readonly number[], windowMs = 1000): { count: number; startMs: number | undefined } {
  const t = [...timestampsMs].sort((a, b) => a - b);
  let best = 0;
  let startMs: number | undefined;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    const start = t[i] as number;
    if (j < i) j = i;
    while (j < t.length && (t[j] as number) - start < windowMs) j++;
    if (j - i > best) {
      best = j - i;
      startMs = start;
    }
  }
  return { count: best, startMs };
}
