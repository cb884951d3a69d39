/**
 * What PostgreSQL holds at the end of the run, as the figures need it: the
 * reviews against the uploads, every review's own translation (llm-sim tags a
 * translation with a fingerprint of its original), 3–5 insights each, no
 * repeated theme rows, and nothing failed for good.
 */
import { Client } from 'pg';
import { translationTag } from '@voc/llm-sim';
import type { Integrity } from './figures';

export interface StageCounts {
  stored: number;
  translated: number;
  insightsDone: number;
  themesDone: number;
  learnedProducts: number;
}

/** Which products an audit looks at: all of them, or only these (one scenario's, in the fault suite). */
export interface AuditScope {
  asins?: readonly string[];
}

/** How long a query may keep failing over to a new connection (a PostgreSQL failover takes 15–30 s). */
const RECONNECT_FOR_MS = 90_000;

/** The connection ended (server shut down or demoted, network gone), not the query's own fault. */
function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  // 57P0x: administrator shutdown / crash shutdown / cannot connect now; 08xxx: connection exceptions.
  if (e.code && (/^57P0[123]$/.test(e.code) || /^08/.test(e.code) || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code))) return true;
  return /Connection terminated|not queryable|Client was closed|Client has encountered a connection error/i.test(e.message ?? '');
}

/**
 * The test bed's own connection. It goes through HAProxy to the primary, so
 * a failover (a host killed on purpose, or Patroni demoting a primary that
 * lost its DCS for a moment) ends it: a query then reconnects and runs again
 * (they only read) instead of failing the run for what the system survives.
 */
export class Database {
  private client: Client;
  private closed = false;

  private constructor(
    private readonly url: string,
    client: Client,
  ) {
    this.client = client;
  }

  static async connect(url: string): Promise<Database> {
    return new Database(url, await Database.open(url));
  }

  private static async open(url: string): Promise<Client> {
    const client = new Client({ connectionString: url, application_name: 'two-hosts-check' });
    // An ended connection emits 'error' later: handled here, the next query reconnects.
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.end();
  }

  private async query<R extends object>(sql: string, params: unknown[] = []): Promise<{ rows: R[] }> {
    const deadline = Date.now() + RECONNECT_FOR_MS;
    for (;;) {
      const client = this.client;
      try {
        return await client.query<R>(sql, params);
      } catch (err) {
        if (this.closed || !isConnectionLoss(err) || Date.now() > deadline) throw err;
        await this.reconnect(client);
      }
    }
  }

  private reconnecting: Promise<void> | undefined;

  /** One new connection for every query that saw `failed` end (the progress poll runs beside the others). */
  private reconnect(failed: Client): Promise<void> {
    if (this.client !== failed) return Promise.resolve();
    this.reconnecting ??= (async () => {
      await new Promise((r) => setTimeout(r, 1000));
      await failed.end().catch(() => {});
      try {
        this.client = await Database.open(this.url);
      } catch {
        // Not reachable yet: the next try finds the ended client and comes back here.
      }
    })().finally(() => (this.reconnecting = undefined));
    return this.reconnecting;
  }

  private async one<T extends object>(sql: string, params: unknown[] = []): Promise<{ [K in keyof T]: number }> {
    const r = await this.query<Record<string, unknown>>(sql, params);
    const row = r.rows[0] as Record<string, unknown>;
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as { [K in keyof T]: number };
  }

  /** Progress of every stage (polled while the run goes on). */
  stageCounts(scope: AuditScope = {}): Promise<StageCounts> {
    const [where, params] = inScope('asin', scope);
    return this.one<StageCounts>(
      `
      SELECT (SELECT count(*) FROM reviews WHERE ${where}) AS "stored",
             (SELECT count(*) FROM reviews WHERE ${where} AND translate_status = 'done') AS "translated",
             (SELECT count(*) FROM reviews WHERE ${where} AND insight_status = 'done') AS "insightsDone",
             (SELECT count(*) FROM reviews WHERE ${where} AND theme_status = 'done') AS "themesDone",
             (SELECT count(*) FROM products WHERE ${where} AND learning_state = 'learned') AS "learnedProducts"`,
      params,
    );
  }

  /** The end-of-run audit; `uploaded` is the set of "asin/reviewId" keys that were uploaded. */
  async audit(uploaded: ReadonlySet<string>, dlqMessages: number, scope: AuditScope = {}): Promise<Integrity> {
    const counts = await this.stageCounts(scope);
    const [where, params] = inScope('r.asin', scope);
    const insights = await this.one<{ under3: number; over5: number }>(
      `
      SELECT count(*) FILTER (WHERE n < 3) AS under3, count(*) FILTER (WHERE n > 5) AS over5
      FROM (SELECT count(i.id) AS n FROM reviews r LEFT JOIN insights i ON i.review_pk = r.id WHERE ${where} GROUP BY r.id) per_review`,
      params,
    );
    const themes = await this.one<{ dup: number }>(
      `
      SELECT count(*) AS dup FROM (SELECT 1 FROM themes r WHERE ${where} GROUP BY review_pk, category, label_id HAVING count(*) > 1) d`,
      params,
    );
    const status = await this.one<{ failed: number; unfinished: number }>(
      `
      SELECT count(*) FILTER (WHERE 'failed' IN (translate_status, insight_status, theme_status)) AS failed,
             count(*) FILTER (WHERE translate_status <> 'done' OR insight_status <> 'done' OR theme_status <> 'done') AS unfinished
      FROM reviews r WHERE ${where}`,
      params,
    );
    const rows = await this.query<{ asin: string; review_id: string; body: string; body_zh: string | null }>(
      `SELECT asin, review_id, body, body_zh FROM reviews r WHERE ${where}`,
      params,
    );
    const found = new Set<string>();
    let wrong = 0;
    for (const r of rows.rows) {
      found.add(`${r.asin}/${r.review_id}`);
      if (r.body_zh !== null && !r.body_zh.startsWith(translationTag(r.body))) wrong++;
    }
    let missing = 0;
    for (const key of uploaded) if (!found.has(key)) missing++;
    return {
      uploadedDistinct: uploaded.size,
      stored: rows.rows.length,
      missing,
      translated: counts.translated,
      wrongTranslations: wrong,
      insightsDone: counts.insightsDone,
      themesDone: counts.themesDone,
      insightsUnder3: insights.under3,
      insightsOver5: insights.over5,
      duplicateThemes: themes.dup,
      failed: status.failed,
      unfinished: status.unfinished,
      dlqMessages,
    };
  }
}

/** The SQL condition (with its parameters) that keeps rows of the scope's products. */
function inScope(column: string, scope: AuditScope): [string, unknown[]] {
  return scope.asins ? [`${column} = ANY($1::text[])`, [scope.asins]] : ['true', []];
}
