import { maxInSlidingWindow } from '@voc/rate-limiter';

/** What one benchmark process reports back. */
export interface WorkerResult {
  /** Grant times, ms since the common start (system-wide monotonic clock). */
  grants: number[];
  /** Wait of every normal acquire that resolved, ms. */
  waits: number[];
  vipIssued: number;
  vipServed: number;
  vipWaits: number[];
  /** Redis round trips the process made (client-side count). */
  roundTrips: number;
  /** Reserved slots the limiter did not use, by reason (ours only). */
  dropped: Record<string, number>;
}

export interface RunSummary {
  algorithm: 'ours' | 'seed';
  scenario: 'saturate' | 'vip';
  grants: number;
  /** Grants per second over the steady part (1 s … T) divided by R. */
  rateOverR: number;
  maxWindow: number;
  maxWindowAtMs: number | null;
  redisCommandsPerGrant: number;
  roundTripsPerGrant: number;
  waitP50Ms: number | null;
  waitP99Ms: number | null;
  vipIssued: number;
  vipServed: number;
  vipShare: number | null;
  vipWaitP50Ms: number | null;
  vipWaitP99Ms: number | null;
  dropped: Record<string, number>;
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

export function summarize(
  run: { algorithm: RunSummary['algorithm']; scenario: RunSummary['scenario']; rps: number; seconds: number; redisCommands: number },
  workers: readonly WorkerResult[],
): RunSummary {
  const all = workers.flatMap((w) => w.grants);
  const steadyFrom = Math.min(1000, (run.seconds * 1000) / 4);
  const steady = all.filter((t) => t >= steadyFrom && t < run.seconds * 1000).length;
  const win = maxInSlidingWindow(all, 1000);
  const waits = workers.flatMap((w) => w.waits);
  const vipWaits = workers.flatMap((w) => w.vipWaits);
  const vipIssued = workers.reduce((n, w) => n + w.vipIssued, 0);
  const vipServed = workers.reduce((n, w) => n + w.vipServed, 0);
  const dropped: Record<string, number> = {};
  for (const w of workers) for (const [k, v] of Object.entries(w.dropped)) dropped[k] = (dropped[k] ?? 0) + v;
  const grants = all.length;
  return {
    algorithm: run.algorithm,
    scenario: run.scenario,
    grants,
    rateOverR: steady / ((run.seconds * 1000 - steadyFrom) / 1000) / run.rps,
    maxWindow: win.count,
    maxWindowAtMs: win.startMs ?? null,
    redisCommandsPerGrant: grants ? run.redisCommands / grants : 0,
    roundTripsPerGrant: grants ? workers.reduce((n, w) => n + w.roundTrips, 0) / grants : 0,
    waitP50Ms: percentile(waits, 50),
    waitP99Ms: percentile(waits, 99),
    vipIssued,
    vipServed,
    vipShare: vipIssued ? vipServed / vipIssued : null,
    vipWaitP50Ms: percentile(vipWaits, 50),
    vipWaitP99Ms: percentile(vipWaits, 99),
    dropped,
  };
}
