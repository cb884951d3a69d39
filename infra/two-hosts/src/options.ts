/**
 * A whole-number command-line option of a run (`--outage-s 30`): its value,
 * `def` when it is absent; an error naming the flag when it is not an
 * integer of at least `min` (a typo should stop the run before it stands
 * hosts up, not run it with NaN).
 */
export function intOption(flag: string, raw: string | undefined, def: number, min: number): number {
  const n = raw === undefined ? def : Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected an integer >= ${min}, got ${raw}`);
  return n;
}
