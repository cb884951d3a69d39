/**
 * What PostgreSQL holds at the end of a run, as the audit (integrity.ts)
 * reports it to the runs that use it (test:ha, test:containers).
 */

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

/**
 * lost = uploaded reviews that are not stored, or stored but not through
 * every stage; duplicated = stored rows beyond the uploads, reviews with
 * more than 5 insights, and repeated theme rows.
 */
export function lostAndDuplicated(i: Integrity): { lost: number; duplicated: number } {
  // Rows that match no uploaded review (a review stored twice would be one).
  const extraRows = i.stored - (i.uploadedDistinct - i.missing);
  return { lost: i.missing + i.unfinished, duplicated: extraRows + i.insightsOver5 + i.duplicateThemes };
}

/** A verdict line of a run: PASS or FAIL, or WARN when a failed check's severity is 'warn' (reported, not failing the run). */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  severity: 'fail' | 'warn';
}

export const check = (name: string, ok: boolean, detail: string, severity: Check['severity'] = 'fail'): Check => ({ name, ok, detail, severity });
