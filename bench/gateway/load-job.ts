/**
 * What run.ts asks of the load process (load.ts) and what it answers. Kept
 * apart from load.ts, whose import starts listening for a job on the IPC
 * channel: run.ts itself has one (tsx's), and must not listen there.
 */
import type autocannon from 'autocannon';

export const PER_UPLOAD = 100;

/**
 * How uploads arrive at a given rate.
 * - `poisson`: open loop, independent plug-ins: the gaps between uploads are exponential with
 *   mean 1/rate s (a fixed seed), each upload sent at its time whatever the earlier ones are
 *   doing; latency counted from the scheduled send time. Uploads bunch now and then, as
 *   independent clients do: the default and the realistic model.
 * - `spread`: the same, with every gap exactly 1/rate s (the best case).
 * - `burst`: autocannon's overallRate: every connection sends its share at the top of each
 *   second, so the whole second's uploads arrive together (the model of issue 10's first
 *   figures; the worst case).
 */
export type Arrivals = 'poisson' | 'spread' | 'burst';

export type LoadJob =
  | { kind: 'uploads'; url: string; apiKey: string; tag: string; seconds: number; rate?: number; connections: number; arrivals?: Arrivals }
  | { kind: 'abuse'; url: string; apiKey: string; seconds: number; connections: number };

/** Latency (ms) and outcomes of one load step, whichever generator produced them. */
export interface UploadsOutcome {
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p90: number; p99: number; max: number };
}

export interface LoadOutcome {
  uploads?: UploadsOutcome;
  /** abuse: autocannon's own result. */
  result?: autocannon.Result;
  /** abuse: answers by HTTP status. */
  statuses: Record<string, number>;
  /** What one abusive body weighs, MB. */
  bodyMb?: number;
}

/** What run.ts asks of the publish probe (pub-probe.ts): messages of `bytes` at `rate` per second for `seconds`. */
export interface ProbeJob {
  natsUrl: string;
  seconds: number;
  rate: number;
  bytes: number;
}

/** PubAck times (ms, from each publish's due time) the probe saw. */
export interface ProbeOutcome {
  n: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

/** The value at quantile q of ascending `sorted` (nearest rank; 0 when empty). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * In a forked child (load.ts, pub-probe.ts): runs the one job the parent sends over IPC, answers
 * its outcome and exits (1 on an error). Nothing happens outside a fork (no IPC channel).
 */
export function serveOneJob<J, O>(run: (job: J) => Promise<O>): void {
  if (!process.send) return;
  process.once('message', (job: J) => {
    run(job).then(
      (outcome) => process.send!(outcome, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
