/**
 * The verdict of a test:ha run: from what was observed (the uploads, each
 * failover and return, llm-sim, the database, the restore) to the checks and
 * the table the issue asks for.
 */
import { check, lostAndDuplicated, type Check, type Integrity } from '@voc/two-hosts/harness';

/** The acceptance bound: a client retrying every 250 ms waits at most this long between accepted uploads. */
export const MAX_UPLOAD_GAP_S = 10;

/** Seconds from an event until each thing was true again (null: not within the run's bound). */
export interface FailoverTimes {
  /** The first upload accepted after the kill. */
  uploadsS: number | null;
  /** A transaction commits through the survivor's HAProxy (Patroni promoted, HAProxy switched). */
  postgresS: number | null;
  /** The Sentinels name the survivor's Redis, and it is a master. */
  redisS: number | null;
  /** The meta leader and every stream's leader are on live nodes. */
  natsS: number | null;
  /** The survivor holds the floating address. */
  vipS: number | null;
}

export interface CatchUpTimes {
  /** Its PostgreSQL is the synchronous replica again, streaming, no lag. */
  postgresS: number | null;
  /** Its Redis is a replica, linked, at the master's offset. */
  redisS: number | null;
  /** Its NATS node is current (/healthz). */
  natsS: number | null;
  /** Its services answer /readyz. */
  appsS: number | null;
}

export interface FailoverObservation {
  killed: 'server-a' | 'server-b';
  /** Seconds since the uploads started. */
  killedAtS: number;
  downS: number;
  failover: FailoverTimes;
  /** The longest wait between accepted uploads while the host was down (and until it was back). */
  longestGapS: number;
  /**
   * The survivor's services that were connected to the dead host's NATS node
   * when it died: they wait until their NATS client notices (its pings).
   */
  survivorsOnDeadNats: string[];
  catchUp: CatchUpTimes;
}

export interface PhaseStats {
  name: string;
  requests: number;
  maxRequestsIn1s: number;
  rejected429: number;
  errors5xx: number;
}

export interface SyncWindow {
  /** While this host was down, the primary had no synchronous replica. */
  during: string;
  seconds: number;
  /** Reviews stored meanwhile: committed on one node only (and in the WAL archive, at most archive_timeout later). */
  reviewsStored: number;
}

export interface HaObservations {
  maxApiRps: number;
  accountLimit: number;
  uploads: {
    chunkSize: number;
    everyMs: number;
    attempts: number;
    accepted: number;
    refused: Record<string, number>;
    /** The longest wait between two accepted uploads over the whole run. */
    longestGapS: number;
    /** Every chunk that was sent got its 202 (the last one too). */
    allAccepted: boolean;
    error?: string;
  };
  failovers: FailoverObservation[];
  phases: PhaseStats[];
  syncOff: SyncWindow[];
  /** Samples in which both live servers held the floating address. */
  splitBrainSamples: number;
  backup: {
    baseBackupBeforeFirstKill: boolean;
    walSegments: number;
    primaryReviews: number | null;
    restoredReviews: number | null;
    restoredTimeline: string | null;
    restoreS: number | null;
  };
  finishedS: number | null;
  integrity: Integrity;
  /** Messages acked per queue by each host's pipeline services, summed over their process runs. */
  work: Record<'server-a' | 'server-b', Record<string, number>>;
  restarts: Record<string, number>;
  totalS: number;
}

export type { Check };

export interface HaFigures {
  lost: number;
  duplicated: number;
  busiestSecond: number;
  checks: Check[];
  ok: boolean;
}

const fmt = (s: number | null) => (s === null ? '—' : `${s.toFixed(1)} s`);

/** How long the returning host took to catch up: the slowest of its parts (null if one never did). */
export function catchUpS(c: CatchUpTimes): number | null {
  const parts = [c.postgresS, c.redisS, c.natsS];
  return parts.some((p) => p === null) ? null : Math.max(...(parts as number[]));
}

export function computeFigures(o: HaObservations): HaFigures {
  const { lost, duplicated } = lostAndDuplicated(o.integrity);
  const i = o.integrity;
  const busiest = Math.max(0, ...o.phases.map((p) => p.maxRequestsIn1s));
  const r429 = o.phases.reduce((n, p) => n + p.rejected429, 0);
  const checks: Check[] = [
    check('every upload accepted (each retried until its 202)', o.uploads.allAccepted && !o.uploads.error, o.uploads.error ?? `${o.uploads.accepted} accepted of ${o.uploads.attempts} attempts`),
    check(
      `a client retrying every ${o.uploads.everyMs} ms waits at most ${MAX_UPLOAD_GAP_S} s between accepted uploads`,
      o.uploads.longestGapS <= MAX_UPLOAD_GAP_S,
      `longest wait ${o.uploads.longestGapS.toFixed(1)} s`,
    ),
  ];
  for (const f of o.failovers) {
    const who = f.killed === 'server-a' ? 'A' : 'B';
    const t = f.failover;
    checks.push(
      check(`${who} killed: uploads accepted again`, t.uploadsS !== null, `after ${fmt(t.uploadsS)}`),
      check(`${who} killed: PostgreSQL failed over (a commit through the survivor's HAProxy)`, t.postgresS !== null, fmt(t.postgresS)),
      check(`${who} killed: Redis failed over (the Sentinels name the survivor, a master)`, t.redisS !== null, fmt(t.redisS)),
      check(`${who} killed: JetStream led from live nodes (meta and every stream)`, t.natsS !== null, fmt(t.natsS)),
      check(`${who} killed: the floating address moved to the survivor`, t.vipS !== null, fmt(t.vipS)),
      check(
        `${who} came back as a replica and caught up (PostgreSQL, Redis, NATS, services)`,
        catchUpS(f.catchUp) !== null && f.catchUp.appsS !== null,
        `PostgreSQL ${fmt(f.catchUp.postgresS)}, Redis ${fmt(f.catchUp.redisS)}, NATS ${fmt(f.catchUp.natsS)}, services ${fmt(f.catchUp.appsS)}`,
      ),
    );
  }
  checks.push(
    check('the floating address was never on both live servers', o.splitBrainSamples === 0, `${o.splitBrainSamples} samples with both`),
    check('every review finished', o.finishedS !== null, o.finishedS === null ? 'timed out' : `${o.finishedS.toFixed(1)} s after the first upload`),
    check('reviews stored == uploaded (distinct)', i.stored === i.uploadedDistinct && i.missing === 0, `${i.stored} stored, ${i.uploadedDistinct} uploaded, ${i.missing} missing`),
    check('every review has its own translation, 3-5 insights, themes without duplicates',
      i.translated === i.stored && i.wrongTranslations === 0 && i.insightsDone === i.stored && i.insightsUnder3 === 0 && i.insightsOver5 === 0 && i.themesDone === i.stored && i.duplicateThemes === 0,
      `translated ${i.translated} (${i.wrongTranslations} wrong), insights ${i.insightsDone} (${i.insightsUnder3} under 3, ${i.insightsOver5} over 5), themes ${i.themesDone} (${i.duplicateThemes} duplicates)`),
    check('nothing failed, DLQ empty', i.failed === 0 && i.dlqMessages === 0, `${i.failed} failed reviews, ${i.dlqMessages} in DLQ`),
    check('lost = 0, duplicated = 0', lost === 0 && duplicated === 0, `lost ${lost}, duplicated ${duplicated}`),
    // Seed 000's split of the work (what test:two-hosts checked): both servers translate, B extracts insights and themes.
    check('translation shared by both hosts', (o.work['server-a'].TRANSLATE ?? 0) > 0 && (o.work['server-b'].TRANSLATE ?? 0) > 0,
      `TRANSLATE messages acked: A ${o.work['server-a'].TRANSLATE ?? 0}, B ${o.work['server-b'].TRANSLATE ?? 0}`),
    check('insights and themes extracted on server B', (o.work['server-b'].INSIGHT ?? 0) > 0 && (o.work['server-b'].THEME ?? 0) > 0,
      `B acked ${o.work['server-b'].INSIGHT ?? 0} INSIGHT and ${o.work['server-b'].THEME ?? 0} THEME messages`),
    check(`busiest second at the LLM <= the account limit (${o.accountLimit})`, busiest <= o.accountLimit, `${busiest} requests`),
    check('no 429 from the LLM', r429 === 0, String(r429)),
    check(`busiest second at the LLM <= MAX_API_RPS (${o.maxApiRps})`, busiest <= o.maxApiRps, `${busiest} requests`, 'warn'),
    check('a base backup was in the store before the first failover', o.backup.baseBackupBeforeFirstKill, o.backup.baseBackupBeforeFirstKill ? 'yes' : 'no'),
    check(
      'the restore (base backup + archived WAL, into a fresh PostgreSQL) holds every review of the primary',
      o.backup.restoredReviews !== null && o.backup.restoredReviews === o.backup.primaryReviews,
      `restored ${o.backup.restoredReviews ?? '—'}, primary ${o.backup.primaryReviews ?? '—'} (timeline ${o.backup.restoredTimeline ?? '—'}, ${o.backup.walSegments} WAL segments)`,
    ),
  );
  return { lost, duplicated, busiestSecond: busiest, checks, ok: checks.every((c) => c.ok || c.severity === 'warn') };
}

/** The table printed at the end of a run. */
export function formatReport(o: HaObservations, f: HaFigures): string {
  const lines: string[] = [];
  const widths = [14, 15, 13, 11, 8, 8, 9, 26];
  const row = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  lines.push('Failovers (seconds from the kill; "caught up": from the host\'s restart, the slowest of PostgreSQL / Redis / NATS)');
  lines.push(row(['event', 'uploads again', 'longest wait', 'PostgreSQL', 'Redis', 'NATS', 'VIP', 'host back: caught up']));
  for (const x of o.failovers) {
    const c = x.catchUp;
    lines.push(
      row([
        `kill ${x.killed === 'server-a' ? 'server A' : 'server B'}`,
        fmt(x.failover.uploadsS),
        `${x.longestGapS.toFixed(1)} s`,
        fmt(x.failover.postgresS),
        fmt(x.failover.redisS),
        fmt(x.failover.natsS),
        fmt(x.failover.vipS),
        `${fmt(catchUpS(c))} (${[c.postgresS, c.redisS, c.natsS].map((s) => (s === null ? '—' : s.toFixed(1))).join(' / ')})`,
      ]),
    );
  }
  for (const x of o.failovers) {
    if (x.survivorsOnDeadNats.length) lines.push(`  ${x.killed === 'server-a' ? 'A' : 'B'} died with these services of the survivor connected to its NATS node: ${x.survivorsOnDeadNats.join(', ')}`);
  }
  lines.push('');
  const refused = Object.entries(o.uploads.refused).map(([k, n]) => `${k} ×${n}`).join(', ');
  const kv: [string, string][] = [
    ['reviews uploaded / lost / duplicated', `${o.integrity.uploadedDistinct} / ${f.lost} / ${f.duplicated}`],
    ['uploads', `${o.uploads.accepted} accepted of ${o.uploads.attempts} attempts (${o.uploads.chunkSize} reviews each, every ${o.uploads.everyMs} ms)${refused ? `; retried: ${refused}` : ''}`],
    ['longest wait between accepted uploads', `${o.uploads.longestGapS.toFixed(1)} s (bound ${MAX_UPLOAD_GAP_S} s)`],
    ['busiest second at llm-sim', `${f.busiestSecond} (account limit ${o.accountLimit}, MAX_API_RPS ${o.maxApiRps}); by phase: ${o.phases.map((p) => `${p.name} ${p.maxRequestsIn1s}`).join(', ')}`],
    ['LLM requests / 429 / 5xx', `${o.phases.reduce((n, p) => n + p.requests, 0)} / ${o.phases.reduce((n, p) => n + p.rejected429, 0)} / ${o.phases.reduce((n, p) => n + p.errors5xx, 0)}`],
    ['no synchronous replica', o.syncOff.map((w) => `${w.during}: ${w.seconds.toFixed(1)} s, ${w.reviewsStored} reviews stored on one node`).join('; ') || 'never'],
    [
      'restore (base backup + WAL)',
      `${o.backup.restoredReviews ?? '—'} reviews restored, ${o.backup.primaryReviews ?? '—'} on the primary; timeline ${o.backup.restoredTimeline ?? '—'}, ${o.backup.walSegments} WAL segments archived, ${fmt(o.backup.restoreS)}`,
    ],
    ['every review through every stage', o.finishedS === null ? 'did not finish' : `${o.finishedS.toFixed(1)} s after the first upload`],
    ...(['server-a', 'server-b'] as const).map((h): [string, string] => [
      `messages acked on ${h}`,
      Object.entries(o.work[h]).filter(([, n]) => n > 0).map(([q, n]) => `${q} ${n}`).join(', ') || 'none',
    ]),
    ['unplanned restarts', Object.entries(o.restarts).map(([h, n]) => `${h} ${n}`).join(', ')],
    ['total time of the run', `${o.totalS.toFixed(0)} s`],
  ];
  for (const [k, v] of kv) lines.push(`${k.padEnd(40)}${v}`);
  lines.push('');
  for (const c of f.checks) lines.push(`${c.ok ? 'PASS' : c.severity === 'warn' ? 'WARN' : 'FAIL'}  ${c.name}: ${c.detail}`);
  return lines.join('\n');
}
