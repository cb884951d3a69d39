import { maxInSlidingWindow, maxWeightedInSlidingWindow } from '@voc/rate-limiter';

/** What one benchmark process reports back. */
export interface WorkerResult {
  /** Grant times, ms since the common start (system-wide monotonic clock): when the limiter granted. */
  grants: number[];
  /** When each caller resumed after its grant (what a provider would see, a little later). */
  resumed: number[];
  /** CPU time this process spent during the run (user + system, ms). */
  cpuMs: number;
  /** 1 where the grant was a vip one. */
  vip: (0 | 1)[];
  /** Tokens reserved by each grant (0: requests only). */
  tokens: number[];
  /** Tokens each grant's call counted in the end (after settle). */
  counted: number[];
  /** Wait of every normal acquire that resolved, ms, and when it was issued (ms since the start). */
  waits: number[];
  issuedAt: number[];
  vipIssued: number;
  vipServed: number;
  vipWaits: number[];
  vipIssuedAt: number[];
  /** Redis round trips the process made (client-side count). */
  roundTrips: number;
  /** Reserved slots the limiter did not use, by reason (ours only). */
  dropped: Record<string, number>;
  /** grant.lateMs of every grant (ours only): how long after its slot's time. */
  lateMs: number[];
  /** Event-loop stalls the process made itself, ms (busy scenario). */
  stalls: number[];
}

export type Scenario = 'saturate' | 'vip' | 'busy' | 'tokens';

export interface RunSummary {
  algorithm: 'ours' | 'seed';
  scenario: Scenario;
  grants: number;
  /** Grants per second over the steady part divided by R. */
  rateOverR: number;
  /** Counted tokens per second over the steady part divided by the token limit per second (tokens scenario). */
  tokensOverTps: number | null;
  maxWindow: number;
  maxWindowAtMs: number | null;
  /** The same over the times the callers resumed. */
  maxWindowResumed: number;
  /** Most tokens (as counted) in any sliding second. */
  maxWindowTokens: number;
  redisCommandsPerGrant: number;
  roundTripsPerGrant: number;
  /** CPU time of all benchmark processes per grant (limiter + callers + artificial load). */
  cpuMsPerGrant: number;
  waitP50Ms: number | null;
  waitP99Ms: number | null;
  vipIssued: number;
  vipServed: number;
  vipShare: number | null;
  vipWaitP50Ms: number | null;
  vipWaitP99Ms: number | null;
  dropped: Record<string, number>;
  /** How long after its slot's time a grant came, p99 and most (ours; never above the margin). */
  lateP99Ms: number | null;
  lateMaxMs: number | null;
  /** Share of the time each process's event loop was blocked on purpose. */
  busyShare: number | null;
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

export function summarize(
  run: {
    algorithm: RunSummary['algorithm'];
    scenario: Scenario;
    rps: number;
    tps: number | null;
    seconds: number;
    steadyFromMs: number;
    redisCommands: number;
  },
  workers: readonly WorkerResult[],
): RunSummary {
  const all = workers.flatMap((w) => w.grants);
  const events = workers.flatMap((w) => w.grants.map((at, i) => ({ at, weight: w.counted[i] ?? 0 })));
  const endMs = run.seconds * 1000;
  const steadyFrom = Math.min(run.steadyFromMs, endMs / 2);
  const steadySeconds = (endMs - steadyFrom) / 1000;
  const steady = events.filter((e) => e.at >= steadyFrom && e.at < endMs);
  const win = maxInSlidingWindow(all, 1000);
  // Waits of acquires issued in the steady part (not behind a new key's fence).
  const steadyWaits = (waits: number[], issuedAt: number[]) => waits.filter((_, i) => (issuedAt[i] ?? 0) >= steadyFrom);
  const waits = workers.flatMap((w) => steadyWaits(w.waits, w.issuedAt));
  const vipWaits = workers.flatMap((w) => steadyWaits(w.vipWaits, w.vipIssuedAt));
  const vipIssued = workers.reduce((n, w) => n + w.vipIssued, 0);
  const vipServed = workers.reduce((n, w) => n + w.vipServed, 0);
  const dropped: Record<string, number> = {};
  for (const w of workers) for (const [k, v] of Object.entries(w.dropped)) dropped[k] = (dropped[k] ?? 0) + v;
  const stalled = workers.reduce((n, w) => n + w.stalls.reduce((a, b) => a + b, 0), 0);
  const grants = all.length;
  const late = workers.flatMap((w) => w.lateMs);
  return {
    algorithm: run.algorithm,
    scenario: run.scenario,
    grants,
    rateOverR: steady.length / steadySeconds / run.rps,
    tokensOverTps: run.tps ? steady.reduce((n, e) => n + e.weight, 0) / steadySeconds / run.tps : null,
    maxWindow: win.count,
    maxWindowAtMs: win.startMs ?? null,
    maxWindowResumed: maxInSlidingWindow(workers.flatMap((w) => w.resumed), 1000).count,
    maxWindowTokens: maxWeightedInSlidingWindow(events, 1000).total,
    redisCommandsPerGrant: grants ? run.redisCommands / grants : 0,
    roundTripsPerGrant: grants ? workers.reduce((n, w) => n + w.roundTrips, 0) / grants : 0,
    cpuMsPerGrant: grants ? workers.reduce((n, w) => n + w.cpuMs, 0) / grants : 0,
    waitP50Ms: percentile(waits, 50),
    waitP99Ms: percentile(waits, 99),
    vipIssued,
    vipServed,
    vipShare: vipIssued ? vipServed / vipIssued : null,
    vipWaitP50Ms: percentile(vipWaits, 50),
    vipWaitP99Ms: percentile(vipWaits, 99),
    dropped,
    lateP99Ms: percentile(late, 99),
    lateMaxMs: late.length ? Math.max(...late) : null,
    busyShare: run.scenario === 'busy' ? stalled / workers.length / endMs : null,
  };
}
