/**
 * Timing what recovers after an event: each probe is polled on its own
 * until it answers true once, and its time (seconds from the event) kept;
 * a probe that never does within the bound is null.
 */
export async function timesUntil<K extends string>(
  t0: number,
  probes: Record<K, () => Promise<boolean>>,
  timeoutMs: number,
  everyMs = 250,
): Promise<Record<K, number | null>> {
  const deadline = t0 + timeoutMs;
  const entries = await Promise.all(
    (Object.entries(probes) as [K, () => Promise<boolean>][]).map(async ([name, probe]) => {
      while (Date.now() < deadline) {
        const ok = await probe().catch(() => false);
        if (ok) return [name, Math.round((Date.now() - t0) / 100) / 10] as const;
        await new Promise((r) => setTimeout(r, everyMs));
      }
      return [name, null] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<K, number | null>;
}

/** Polls `probe` until it answers true or `timeoutMs` passes; whether it did. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
