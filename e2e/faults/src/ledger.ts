/**
 * What llm-sim saw during one scenario, over every restart of it. A
 * scenario that changes the provider's faults restarts llm-sim with other
 * settings (its stats start from zero each time), so the calls are kept per
 * segment, each with the mode the simulator ran in.
 */
import type { SimStatsSnapshot } from '@voc/llm-sim';

/**
 * - `normal`: no fault; any 429 or 5xx is a finding.
 * - `faulty`: 5xx and malformed answers at a rate.
 * - `storm`: the provider throttles below the account limit (a 429 storm it causes, not the fleet).
 * - `down`: every request fails (5xx, or no answer before the client's timeout).
 */
export type SimMode = 'normal' | 'faulty' | 'storm' | 'down';

export interface SimSegment {
  mode: SimMode;
  stats: Pick<SimStatsSnapshot, 'requests' | 'rejected429' | 'errors5xx' | 'malformed' | 'maxRequestsIn1s'>;
}

export interface CallSummary {
  /** Requests llm-sim received (answered or not). */
  requests: number;
  rejected429: number;
  errors5xx: number;
  malformed: number;
  /** The busiest sliding second of any segment (arrivals, rejected ones included). */
  busiestSecond: number;
  /**
   * Calls that a fault made necessary: each failed answer (429, 5xx, or any
   * request while the provider is down) costs at most one more call (the
   * client's retry, or the redelivered message's); each malformed answer at
   * most two (a batch split in halves, or the one retry of a single call).
   */
  faultAnswers: number;
  /** 429s outside an injected storm: the fleet exceeded the account limit. */
  unexpected429: number;
  /** Times llm-sim was stopped within the scenario (each aborts the answers in flight). */
  restarts: number;
}

export function summarizeCalls(segments: readonly SimSegment[]): CallSummary {
  const out: CallSummary = { requests: 0, rejected429: 0, errors5xx: 0, malformed: 0, busiestSecond: 0, faultAnswers: 0, unexpected429: 0, restarts: Math.max(0, segments.length - 1) };
  for (const { mode, stats: s } of segments) {
    out.requests += s.requests;
    out.rejected429 += s.rejected429;
    out.errors5xx += s.errors5xx;
    out.malformed += s.malformed;
    out.busiestSecond = Math.max(out.busiestSecond, s.maxRequestsIn1s);
    out.faultAnswers += mode === 'down' ? s.requests : s.rejected429 + s.errors5xx + 2 * s.malformed;
    if (mode === 'normal' || mode === 'faulty') out.unexpected429 += s.rejected429;
  }
  return out;
}

/** Keeps the closed segments of the running scenario; the open one is read from the live simulator. */
export class CallLedger {
  private closed: SimSegment[] = [];
  private mode: SimMode = 'normal';

  get currentMode(): SimMode {
    return this.mode;
  }

  /** A new scenario: forget the previous one's segments (the caller resets the simulator's stats). */
  begin(mode: SimMode): void {
    this.closed = [];
    this.mode = mode;
  }

  /** The simulator stopped with these final stats; the next segment runs in `next` (once it is started). */
  close(last: SimSegment['stats'], next: SimMode): void {
    this.closed.push({ mode: this.mode, stats: last });
    this.mode = next;
  }

  /** Every segment so far, the open one with the simulator's current stats (none while it is stopped). */
  segments(open: SimSegment['stats'] | undefined): SimSegment[] {
    return open ? [...this.closed, { mode: this.mode, stats: open }] : [...this.closed];
  }
}
