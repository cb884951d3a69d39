/**
 * The end-of-scenario audit in PostgreSQL, over the scenario's products only:
 * how every accepted review ended (done, failed with a reason, rejected with
 * a reason, or lost), duplicates (the two-host run's audit, scoped), and the
 * stage timestamps the stall measure reads.
 */
import type { Pool } from 'pg';
import { Database, reviewKey } from '@voc/two-hosts/harness';
import type { DuplicateCounts, ReviewOutcome } from './figures';
import type { StageEvent } from './stalls';

type StageName = 'translate' | 'insight' | 'theme';
const STAGES: StageName[] = ['translate', 'insight', 'theme'];

interface ReviewRow {
  asin: string;
  review_id: string;
  translate_status: string;
  insight_status: string;
  theme_status: string;
  translate_last_error: string | null;
  insight_last_error: string | null;
  theme_last_error: string | null;
}

/** Where a stored review ended. */
export function reviewEnd(r: ReviewRow): 'done' | 'failedWithReason' | 'failedWithoutReason' | 'unfinished' {
  const statuses = STAGES.map((s) => r[`${s}_status`]);
  if (statuses.every((s) => s === 'done')) return 'done';
  if (!statuses.every((s) => s === 'done' || s === 'failed')) return 'unfinished';
  const reasons = STAGES.filter((s) => r[`${s}_status`] === 'failed').map((s) => r[`${s}_last_error`]);
  return reasons.every((e) => e !== null && e.trim() !== '') ? 'failedWithReason' : 'failedWithoutReason';
}

/**
 * Reviews ingest refused to store, with their reasons. The pipeline records
 * them in `rejected_reviews` (asin, review_id, reason); without that table
 * nothing is recorded, and an unstored review counts as missing.
 */
export async function rejectedReviews(pool: Pool, asins: readonly string[]): Promise<Map<string, string>> {
  const exists = await pool.query<{ t: string | null }>(`SELECT to_regclass('public.rejected_reviews')::text AS t`);
  if (!exists.rows[0]?.t) return new Map();
  const r = await pool.query<{ asin: string; review_id: string; reason: string | null }>(
    'SELECT asin, review_id, reason FROM rejected_reviews WHERE asin = ANY($1::text[])',
    [asins],
  );
  return new Map(r.rows.filter((x) => x.reason && x.reason.trim()).map((x) => [reviewKey({ asin: x.asin, reviewId: x.review_id }), x.reason!]));
}

export async function auditReviews(
  pool: Pool,
  databaseUrl: string,
  asins: readonly string[],
  accepted: ReadonlySet<string>,
  poison: ReadonlySet<string>,
): Promise<{ reviews: ReviewOutcome; duplicates: DuplicateCounts }> {
  const rows = await pool.query<ReviewRow>(
    `SELECT asin, review_id, translate_status, insight_status, theme_status, translate_last_error, insight_last_error, theme_last_error
     FROM reviews WHERE asin = ANY($1::text[])`,
    [asins],
  );
  const rejected = await rejectedReviews(pool, asins);
  const out: ReviewOutcome = {
    accepted: accepted.size,
    poison: poison.size,
    done: 0,
    failedWithReason: 0,
    failedWithoutReason: 0,
    rejectedWithReason: 0,
    missing: 0,
    unfinished: 0,
    goodNotDone: 0,
  };
  const stored = new Map<string, ReturnType<typeof reviewEnd>>();
  let extraRows = 0;
  for (const r of rows.rows) {
    const key = reviewKey({ asin: r.asin, reviewId: r.review_id });
    if (!accepted.has(key)) {
      extraRows++;
      continue;
    }
    stored.set(key, reviewEnd(r));
  }
  for (const key of accepted) {
    const end = stored.get(key);
    if (end === undefined) {
      if (rejected.has(key)) out.rejectedWithReason++;
      else out.missing++;
    } else out[end]++;
    if (!poison.has(key) && end !== 'done') out.goodNotDone++;
  }
  const db = await Database.connect(databaseUrl);
  try {
    const i = await db.audit(accepted, 0, { asins });
    return {
      reviews: out,
      duplicates: { extraRows, insightsOver5: i.insightsOver5, duplicateThemes: i.duplicateThemes, wrongTranslations: i.wrongTranslations },
    };
  } finally {
    await db.close();
  }
}

/** Per stage, when each review of the products was queued and done (ms), for longestStall. */
export async function stageEvents(pool: Pool, asins: readonly string[]): Promise<Record<StageName, StageEvent[]>> {
  const r = await pool.query<Record<string, string | null>>(
    `SELECT ${STAGES.map((s) => `extract(epoch FROM ${s}_queued_at) * 1000 AS ${s}_q, extract(epoch FROM ${s}_done_at) * 1000 AS ${s}_d`).join(', ')}
     FROM reviews WHERE asin = ANY($1::text[])`,
    [asins],
  );
  const num = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return Object.fromEntries(STAGES.map((s) => [s, r.rows.map((row) => ({ queuedAt: num(row[`${s}_q`]), doneAt: num(row[`${s}_d`]) }))])) as Record<
    StageName,
    StageEvent[]
  >;
}
