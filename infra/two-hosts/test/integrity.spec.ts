import { Client } from 'pg';
import { applyMigrations } from '@voc/db/migrate';
import { translationTag } from '@voc/llm-sim';
import { startTestStack, type TestStack } from '@voc/local-stack';
import { Database } from '../src/integrity';

/** The audit on real PostgreSQL: all products, or one scope of them (the fault suite audits each scenario's own). */
describe('Database.audit', () => {
  let stack: TestStack;
  let db: Database;
  beforeAll(async () => {
    stack = await startTestStack({ nats: false, redis: false });
    await applyMigrations(stack.databaseUrl);
    const c = new Client({ connectionString: stack.databaseUrl });
    await c.connect();
    await c.query(`INSERT INTO products (asin, updated_at) VALUES ('AAAAAAAAAA', now()), ('BBBBBBBBBB', now())`);
    const review = (asin: string, id: string, body: string, done: boolean) =>
      c.query(
        `INSERT INTO reviews (asin, review_id, rating, body, category, body_length, upload_id, body_zh, translate_status, insight_status, theme_status, updated_at)
         VALUES ($1, $2, 5, $3, 'short', length($3), 'u', $4, $5, $5, $5, now())`,
        [asin, id, body, done ? `${translationTag(body)}译文` : null, done ? 'done' : 'failed'],
      );
    await review('AAAAAAAAAA', 'a1', 'good one', true);
    await review('BBBBBBBBBB', 'b1', 'bad one', false);
    await c.end();
    db = await Database.connect(stack.databaseUrl);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await stack?.stop();
  });

  it('reconnects when its connection is ended by the server (a failover)', async () => {
    const before = await db.stageCounts();
    // The server ends every other session of the test bed, as a demoted or stopped primary does.
    const admin = new Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    const ended = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'two-hosts-check'`);
    await admin.end();
    expect(ended.rowCount).toBe(1);
    expect(await db.stageCounts()).toEqual(before);
  }, 30_000);

  it('counts every product without a scope', async () => {
    const all = await db.audit(new Set(['AAAAAAAAAA/a1', 'BBBBBBBBBB/b1', 'BBBBBBBBBB/b2']), 0);
    expect(all).toMatchObject({ stored: 2, missing: 1, translated: 1, failed: 1, unfinished: 1 });
  });

  it('counts only the scope\'s products with one', async () => {
    const a = await db.audit(new Set(['AAAAAAAAAA/a1']), 0, { asins: ['AAAAAAAAAA'] });
    expect(a).toMatchObject({ stored: 1, missing: 0, translated: 1, failed: 0, unfinished: 0, wrongTranslations: 0, insightsUnder3: 1 });
    expect(await db.stageCounts({ asins: ['BBBBBBBBBB'] })).toMatchObject({ stored: 1, translated: 0 });
  });
});
