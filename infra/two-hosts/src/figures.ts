/**
 * The run's verdict: from what was observed (who did the work, what llm-sim
 * saw, the timeline, the database at the end) to the figures, the checks
 * that pass or fail, and the table printed at the end.
 */
import type { HostRole } from './testbed';

export const STAGES = ['INGEST', 'TRANSLATE', 'LEARNING', 'INSIGHT', 'THEME'] as const;
export type Stage = (typeof STAGES)[number];

/** Per stage, per host: messages handled (acked) and LLM answers received. */
export type WorkShare = Record<Stage, Record<HostRole, { messages: number; llmAnswers: number }>>;

/** What the database holds at the end (see integrity.ts for the queries). */
export interface Integrity {
  uploadedDistinct: number;
  /** Review rows in the database. */
  stored: number;
  /** Uploaded reviews without a row. */
  missing: number;
  translated: number;
  /** Translations that are not the simulator's translation of that very review. */
  wrongTranslations: number;
  insightsDone: number;
  themesDone: number;
  /** Reviews with fewer than 3 insights, and with more than 5. */
  insightsUnder3: number;
  insightsOver5: number;
  /** (review, category, label) triples stored more than once. */
  duplicateThemes: number;
  /** Reviews with a stage that failed for good. */
  failed: number;
  /** Reviews not done at every stage (translate, insight, theme). */
  unfinished: number;
  dlqMessages: number;
}

export interface Observations {
  maxApiRps: number;
  products: number;
  /** Milliseconds since the first upload. */
  timeline: { bKilledAt: number; bBackAt: number; finishedAt: number | null };
  work: WorkShare;
  /** Services that exited on their own and were started again (compose's restart policy). */
  restarts: Record<HostRole, number>;
  sim: {
    requests: number;
    maxRequestsIn1s: number;
    rejected429: number;
    errors5xx: number;
    /** llm-sim's account limit (its 429 threshold). */
    accountLimit: number;
    /** The longest event-loop stall seen in llm-sim, ms: requests that arrive during one are counted together after it. */
    eventLoopLagMaxMs: number;
  };
  /** TRANSLATE messages each host had acked when B was killed (the share while both were up). */
  bothUp: { aTranslate: number; bTranslate: number };
  /** Upload requests (chunks) of the first wave, with both hosts up. */
  firstWave: { sent: number; accepted: number };
  /** While B was down. */
  outage: {
    uploadsSent: number;
    uploadsAccepted: number;
    /** 503 answers or refused connections retried (e.g. while a stream leader moved to server A). */
    uploadRetries: number;
    translatedBefore: number;
    translatedAfter: number;
    aTranslateBefore: number;
    aTranslateAfter: number;
    aLearningBefore: number;
    aLearningAfter: number;
    /** The longest time A acked no TRANSLATE message while reviews waited for translation. */
    aLongestStallMs: number;
  };
  integrity: Integrity;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** A 'warn' check is reported but does not fail the run. */
  severity: 'fail' | 'warn';
}

export interface Figures {
  lost: number;
  duplicated: number;
  timeToFinishS: number | null;
  bDownS: number;
  checks: Check[];
  ok: boolean;
}

const ROLES: HostRole[] = ['server-a', 'server-b'];

/**
 * A's consumers must find the new stream/consumer leaders after a node
 * dies; JetStream elects them in seconds, so a longer pause is worth a look.
 */
const STALL_WARN_S = 15;

/**
 * lost = uploaded reviews that are not stored, or stored but not through
 * every stage; duplicated = stored rows beyond the uploads, reviews with
 * more than 5 insights, and repeated theme rows.
 */
export function computeFigures(o: Observations): Figures {
  const i = o.integrity;
  const lost = i.missing + i.unfinished;
  // Rows that match no uploaded review (a review stored twice would be one).
  const extraRows = i.stored - (i.uploadedDistinct - i.missing);
  const duplicated = extraRows + i.insightsOver5 + i.duplicateThemes;
  const w = o.work;
  const checks: Check[] = [
    check('translation shared by both hosts', w.TRANSLATE['server-a'].messages > 0 && w.TRANSLATE['server-b'].messages > 0,
      `A ${w.TRANSLATE['server-a'].messages}, B ${w.TRANSLATE['server-b'].messages} messages`),
    check('insights and themes extracted on server B', w.INSIGHT['server-b'].llmAnswers > 0 && w.THEME['server-b'].llmAnswers > 0,
      `B: ${w.INSIGHT['server-b'].llmAnswers} insight and ${w.THEME['server-b'].llmAnswers} theme answers`),
    check(`busiest second at the LLM <= the account limit (${o.sim.accountLimit})`, o.sim.maxRequestsIn1s <= o.sim.accountLimit, `${o.sim.maxRequestsIn1s} requests`),
    check('no 429 from the LLM', o.sim.rejected429 === 0, `${o.sim.rejected429}`),
    // The limiter bounds grants; arrivals at the LLM also carry send-time jitter (see the README).
    check(
      `busiest second at the LLM <= MAX_API_RPS (${o.maxApiRps})`,
      o.sim.maxRequestsIn1s <= o.maxApiRps,
      `${o.sim.maxRequestsIn1s} requests (${signed(o.sim.maxRequestsIn1s - o.maxApiRps)}); llm-sim's longest event-loop stall ${o.sim.eventLoopLagMaxMs} ms`,
      'warn',
    ),
    check('first wave accepted', o.firstWave.sent > 0 && o.firstWave.accepted === o.firstWave.sent, `${o.firstWave.accepted}/${o.firstWave.sent} uploads`),
    check('uploads accepted while B was down', o.outage.uploadsSent > 0 && o.outage.uploadsAccepted === o.outage.uploadsSent,
      `${o.outage.uploadsAccepted}/${o.outage.uploadsSent} accepted (${o.outage.uploadRetries} retried 503s)`),
    check('translation went on while B was down',
      o.outage.translatedAfter > o.outage.translatedBefore && o.outage.aTranslateAfter > o.outage.aTranslateBefore,
      `reviews translated ${o.outage.translatedBefore} -> ${o.outage.translatedAfter}; A's messages ${o.outage.aTranslateBefore} -> ${o.outage.aTranslateAfter}`),
    check(
      `A never paused translating for more than ${STALL_WARN_S} s while B was down`,
      o.outage.aLongestStallMs <= STALL_WARN_S * 1000,
      `longest pause ${fmtS(o.outage.aLongestStallMs)} s with reviews waiting`,
      'warn',
    ),
    check('learning went on while B was down', o.outage.aLearningAfter > o.outage.aLearningBefore,
      `A's learning messages ${o.outage.aLearningBefore} -> ${o.outage.aLearningAfter}`),
    check('every review finished', o.timeline.finishedAt !== null, o.timeline.finishedAt === null ? 'timed out' : `${fmtS(o.timeline.finishedAt)} s`),
    check('reviews stored == uploaded (distinct)', i.stored === i.uploadedDistinct && i.missing === 0,
      `${i.stored} stored, ${i.uploadedDistinct} uploaded, ${i.missing} missing`),
    check('every review has its own translation', i.translated === i.stored && i.wrongTranslations === 0,
      `${i.translated} translated, ${i.wrongTranslations} wrong`),
    check('3-5 insights per review', i.insightsDone === i.stored && i.insightsUnder3 === 0 && i.insightsOver5 === 0,
      `${i.insightsDone} done, ${i.insightsUnder3} under 3, ${i.insightsOver5} over 5`),
    check('themes done, no duplicate rows', i.themesDone === i.stored && i.duplicateThemes === 0, `${i.themesDone} done, ${i.duplicateThemes} duplicates`),
    check('nothing failed, DLQ empty', i.failed === 0 && i.dlqMessages === 0, `${i.failed} failed reviews, ${i.dlqMessages} in DLQ`),
    check('lost = 0, duplicated = 0', lost === 0 && duplicated === 0, `lost ${lost}, duplicated ${duplicated}`),
  ];
  return {
    lost,
    duplicated,
    timeToFinishS: o.timeline.finishedAt === null ? null : round1(o.timeline.finishedAt / 1000),
    bDownS: round1((o.timeline.bBackAt - o.timeline.bKilledAt) / 1000),
    checks,
    ok: checks.every((c) => c.ok || c.severity === 'warn'),
  };
}

function check(name: string, ok: boolean, detail: string, severity: Check['severity'] = 'fail'): Check {
  return { name, ok, detail, severity };
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

const round1 = (x: number) => Math.round(x * 10) / 10;
const fmtS = (ms: number) => (ms / 1000).toFixed(1);

/** The table printed at the end of a run. */
export function formatReport(o: Observations, f: Figures): string {
  const lines: string[] = [];
  const row = (cells: (string | number)[], widths: number[]) =>
    cells.map((c, k) => (k === 0 ? String(c).padEnd(widths[k]!) : String(c).padStart(widths[k]!))).join('  ');
  const widths = [10, 12, 12, 14, 14];
  lines.push('Work per host (messages acked; LLM answers received — one per review for INSIGHT and THEME)');
  lines.push(row(['stage', 'A messages', 'B messages', 'A LLM answers', 'B LLM answers'], widths));
  for (const s of STAGES) {
    const a = o.work[s]['server-a'];
    const b = o.work[s]['server-b'];
    lines.push(row([s, a.messages, b.messages, a.llmAnswers, b.llmAnswers], widths));
  }
  lines.push('');
  const kv: [string, string][] = [
    ['products / reviews uploaded', `${o.products} / ${o.integrity.uploadedDistinct}`],
    ['TRANSLATE while both up A / B', `${o.bothUp.aTranslate} / ${o.bothUp.bTranslate} messages`],
    ['busiest second at llm-sim', `${o.sim.maxRequestsIn1s} (MAX_API_RPS ${o.maxApiRps}, account limit ${o.sim.accountLimit})`],
    ['LLM requests / 429 / 5xx', `${o.sim.requests} / ${o.sim.rejected429} / ${o.sim.errors5xx}`],
    ['time to finish', f.timeToFinishS === null ? 'did not finish' : `${f.timeToFinishS} s`],
    ['server B down', `${f.bDownS} s (killed at ${fmtS(o.timeline.bKilledAt)} s, back at ${fmtS(o.timeline.bBackAt)} s)`],
    ["A's longest translation pause", `${fmtS(o.outage.aLongestStallMs)} s (B down, reviews waiting)`],
    ['lost / duplicated', `${f.lost} / ${f.duplicated}`],
    ['unplanned restarts A / B', `${o.restarts['server-a']} / ${o.restarts['server-b']}`],
  ];
  for (const [k, v] of kv) lines.push(`${k.padEnd(30)}${v}`);
  lines.push('');
  for (const c of f.checks) lines.push(`${c.ok ? 'PASS' : c.severity === 'warn' ? 'WARN' : 'FAIL'}  ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

/** An empty work share, to fill from the counters. */
export function emptyWorkShare(): WorkShare {
  return Object.fromEntries(STAGES.map((s) => [s, Object.fromEntries(ROLES.map((r) => [r, { messages: 0, llmAnswers: 0 }]))])) as WorkShare;
}
