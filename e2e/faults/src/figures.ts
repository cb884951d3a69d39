/**
 * A scenario's verdict: from what was observed (the database, llm-sim, the
 * DLQ, the timeline) to its figures and the invariant checks, each named, so
 * that a failing run says which invariant broke.
 *
 * The invariant after every scenario: every accepted review ends done, or
 * visibly rejected or failed with a reason; no duplicate rows; LLM calls at
 * most planned + a stated bound; no 429 caused by exceeding the account
 * limit. Some scenarios add their acceptance: every good review analysed and
 * nothing in the DLQ (poison, long outages), no consumer stalled longer than
 * a limit (NATS node loss), every report built (report-svc killed).
 */
import { check, type Check } from '@voc/two-hosts/harness';
import type { CallSummary } from './ledger';
import type { PlannedCalls } from './plan';

export interface ReviewOutcome {
  /** Reviews the system accepted (202'd uploads and directly published messages), poison ones included. */
  accepted: number;
  /** Accepted reviews the scenario sent as poison (unstorable on purpose). */
  poison: number;
  /** Done at every stage (translate, insight, theme). */
  done: number;
  /** Stored, a stage failed, and its last error says why. */
  failedWithReason: number;
  /** Stored, a stage failed with no error recorded. */
  failedWithoutReason: number;
  /** Not stored, and recorded as rejected with a reason. */
  rejectedWithReason: number;
  /** Not stored, not recorded as rejected. */
  missing: number;
  /** Stored, neither done nor failed. */
  unfinished: number;
  /** Good (non-poison) accepted reviews that are not done. */
  goodNotDone: number;
}

export interface DuplicateCounts {
  /** Review rows that match no accepted review. */
  extraRows: number;
  insightsOver5: number;
  duplicateThemes: number;
  /** Translations that are not the simulator's translation of that very review. */
  wrongTranslations: number;
}

/** A part of the allowed extra calls, and why it may be needed. */
export interface BoundPart {
  calls: number;
  why: string;
}

export interface Acceptance {
  /** Every good review done (none failed), as the acceptance asks for poison and long outages. */
  allGoodDone?: boolean;
  /** No dead letter, and nothing stranded, of the scenario's products. */
  dlqEmpty?: boolean;
  /** No consumer went longer than this without a delivery while it had messages waiting and room to take them (and a leader). */
  maxStallMs?: number;
  /** No consumer went longer than this without a leader (its looks unanswered): nats-server's election after a node loss. */
  maxLeaderlessMs?: number;
  /** Every report requested ends ready. */
  reportsReady?: boolean;
}

export interface ScenarioObservation {
  id: string;
  name: string;
  /** What was done to the system, one line. */
  fault: string;
  reviews: ReviewOutcome;
  duplicates: DuplicateCounts;
  planned: PlannedCalls;
  calls: CallSummary;
  /** Extra calls allowed besides the fault answers, each part with its reason. */
  redo: BoundPart[];
  accountLimit: number;
  /** Dead letters of the scenario's products, and the scenario's messages left in the work streams at its end (stranded or unsettled). */
  dlq: number;
  stranded: number;
  /** Milliseconds since the scenario started; `recoveredAt` null when it did not finish in time. */
  timeline: { faultAt: number; faultEndedAt: number; recoveredAt: number | null };
  /** Per consumer, the longest time it delivered nothing while it had messages waiting and room to take them, ms. */
  stalls?: Record<string, number>;
  /** Per consumer, the longest time its looks went unanswered (no leader), ms. */
  leaderless?: Record<string, number>;
  reports?: { requested: number; ready: number };
  /** Services that exited on their own during the scenario (the bench started them again, as compose would). */
  crashes: { service: string; code: number | null }[];
  acceptance: Acceptance;
  notes: string[];
}

export interface ScenarioFigures {
  id: string;
  name: string;
  reviews: number;
  lost: number;
  duplicated: number;
  extraCalls: number;
  /** Allowed extra calls: fault answers + the redo parts. */
  bound: number;
  /** From the end of the fault to every review final, seconds; null when it did not finish. */
  recoverS: number | null;
  checks: Check[];
  ok: boolean;
}

export function computeFigures(o: ScenarioObservation): ScenarioFigures {
  const r = o.reviews;
  const d = o.duplicates;
  const lost = r.accepted - r.done - r.failedWithReason - r.rejectedWithReason;
  const duplicated = d.extraRows + d.insightsOver5 + d.duplicateThemes;
  const extraCalls = o.calls.requests - o.planned.total;
  const redo = o.redo.reduce((n, p) => n + p.calls, 0);
  const bound = o.calls.faultAnswers + redo;
  const recovered = o.timeline.recoveredAt !== null;
  const checks: Check[] = [
    check('finished in time', recovered, recovered ? `${fmtS(o.timeline.recoveredAt! - o.timeline.faultEndedAt)} s after the fault ended` : 'timed out'),
    check(
      'every accepted review done, or visibly rejected or failed with a reason',
      lost === 0,
      `${r.accepted} accepted: ${r.done} done, ${r.failedWithReason} failed with a reason, ${r.rejectedWithReason} rejected with a reason; ` +
        `lost ${lost} (${r.missing} missing, ${r.unfinished} unfinished, ${r.failedWithoutReason} failed without a reason)`,
    ),
    check('no duplicate rows', duplicated === 0, `${d.extraRows} extra review rows, ${d.insightsOver5} reviews with over 5 insights, ${d.duplicateThemes} repeated themes`),
    check('every translation is its own review\'s', d.wrongTranslations === 0, `${d.wrongTranslations} wrong`),
    check(
      'no service exited on its own',
      o.crashes.length === 0,
      o.crashes.length ? o.crashes.map((c) => `${c.service} (code ${c.code})`).join(', ') : 'none',
    ),
    check(
      'LLM calls <= planned + bound',
      extraCalls <= bound,
      `${o.calls.requests} calls, ${o.planned.total} planned, ${signed(extraCalls)} extra, bound ${bound} = ${o.calls.faultAnswers} fault answers` +
        o.redo.map((p) => ` + ${p.calls} ${p.why}`).join(''),
    ),
    check(
      `no 429 caused by exceeding the account limit (${o.accountLimit})`,
      o.calls.unexpected429 === 0 && o.calls.busiestSecond <= o.accountLimit,
      `${o.calls.unexpected429} 429s outside an injected storm, busiest second ${o.calls.busiestSecond}`,
    ),
  ];
  const a = o.acceptance;
  if (a.allGoodDone) checks.push(check('every good review analysed', r.goodNotDone === 0, `${r.accepted - r.poison - r.goodNotDone} of ${r.accepted - r.poison} good reviews done`));
  if (a.dlqEmpty) checks.push(check('nothing in the DLQ', o.dlq === 0 && o.stranded === 0, `${o.dlq} dead letters, ${o.stranded} of its messages left in the work streams`));
  if (a.maxStallMs !== undefined) {
    const stalls = Object.entries(o.stalls ?? {});
    const worst = Math.max(0, ...stalls.map(([, ms]) => ms));
    checks.push(
      check(
        `no consumer stalled more than ${fmtS(a.maxStallMs)} s`,
        stalls.length > 0 && worst <= a.maxStallMs,
        stalls.length ? stalls.map(([stage, ms]) => `${stage} ${fmtS(ms)} s`).join(', ') : 'not measured',
      ),
    );
  }
  if (a.maxLeaderlessMs !== undefined) {
    const silent = Object.entries(o.leaderless ?? {});
    const worst = Math.max(0, ...silent.map(([, ms]) => ms));
    checks.push(
      check(
        `no consumer without a leader more than ${fmtS(a.maxLeaderlessMs)} s`,
        silent.length > 0 && worst <= a.maxLeaderlessMs,
        silent.length ? silent.map(([stage, ms]) => `${stage} ${fmtS(ms)} s`).join(', ') : 'not measured',
      ),
    );
  }
  if (a.reportsReady) {
    const rep = o.reports ?? { requested: 0, ready: 0 };
    checks.push(check('every report requested is ready', rep.requested > 0 && rep.ready === rep.requested, `${rep.ready} of ${rep.requested} ready`));
  }
  return {
    id: o.id,
    name: o.name,
    reviews: r.accepted,
    lost,
    duplicated,
    extraCalls,
    bound,
    recoverS: recovered ? round1((o.timeline.recoveredAt! - o.timeline.faultEndedAt) / 1000) : null,
    checks,
    ok: checks.every((c) => c.ok),
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const fmtS = (ms: number) => (ms / 1000).toFixed(1);
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
