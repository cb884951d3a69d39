/**
 * The runbook's PostgreSQL backup and restore (infra/README.md), run with the
 * exact flags the README shows against a real PostgreSQL: a dump restores
 * over a damaged database and onto an empty one (a new server A), migrations
 * bookkeeping included.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '@voc/db/migrate';
import { startTestStack, type TestStack } from '@voc/local-stack';
import { PG_BACKUP, PG_DUMP_COMMAND, PG_RESTORE_COMMAND } from '@voc/infra';
import { checkPostgres } from '../src/checks/postgres';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
let stack: TestStack;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack({ postgres: true, nats: false, redis: false });
  dir = mkdtempSync(path.join(tmpdir(), 'voc-backup-'));
  await applyMigrations(stack.databaseUrl);
  await sql(stack.databaseUrl, async (c) => {
    await c.query("INSERT INTO products (asin, title, updated_at) VALUES ('B0BACKUP01', 'Kindle', now())");
    await c.query(
      "INSERT INTO reviews (asin, review_id, rating, body, category, body_length, upload_id, updated_at) " +
        "SELECT 'B0BACKUP01', 'r' || g, 5, 'review ' || g, 'short', 8, 'u1', now() FROM generate_series(1, 50) g",
    );
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function sql<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const state = (url: string) =>
  sql(url, async (c) => ({
    reviews: Number((await c.query('SELECT count(*) FROM reviews')).rows[0].count),
    title: (await c.query("SELECT title FROM products WHERE asin = 'B0BACKUP01'")).rows[0]?.title as string | undefined,
  }));

/** pg_dump with the runbook's flags, its stdout to `file` (as `… > file` does). */
function dump(url: string, file: string): void {
  const fd = openSync(file, 'w');
  try {
    const r = spawnSync('pg_dump', [...PG_BACKUP.dumpArgs, '--dbname', url], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  } finally {
    closeSync(fd);
  }
}

/** pg_restore with the runbook's flags, the dump on its stdin (as `… < file` does). */
function restore(url: string, file: string): void {
  const r = spawnSync('pg_restore', [...PG_BACKUP.restoreArgs, '--dbname', url], { input: readFileSync(file), encoding: 'utf8' });
  expect([r.status, r.stderr]).toEqual([0, '']);
}

describe('PostgreSQL backup and restore (runbook)', () => {
  it('restores a damaged database to the dump', async () => {
    const file = path.join(dir, 'voc.dump');
    dump(stack.databaseUrl, file);
    await sql(stack.databaseUrl, async (c) => {
      await c.query("DELETE FROM reviews WHERE review_id IN ('r1', 'r2', 'r3')");
      await c.query("UPDATE products SET title = 'damaged' WHERE asin = 'B0BACKUP01'");
    });
    expect(await state(stack.databaseUrl)).toEqual({ reviews: 47, title: 'damaged' });

    restore(stack.databaseUrl, file);
    expect(await state(stack.databaseUrl)).toEqual({ reviews: 50, title: 'Kindle' });
  });

  it('restores onto an empty database (a rebuilt server A), migrations bookkeeping included', async () => {
    const file = path.join(dir, 'voc-new.dump');
    dump(stack.databaseUrl, file);
    await sql(stack.databaseUrl, (c) => c.query('CREATE DATABASE rebuilt'));
    const rebuilt = stack.databaseUrl.replace(/\/[^/]+$/, '/rebuilt');
    restore(rebuilt, file);
    expect(await state(rebuilt)).toEqual({ reviews: 50, title: 'Kindle' });
    // The migrate service then finds nothing to do, and the doctor agrees.
    expect(await applyMigrations(rebuilt)).toEqual({ applied: [] });
    const checks = await checkPostgres(rebuilt, 5000);
    expect(checks.find((c) => c.check === 'postgres migrations')).toMatchObject({ status: 'ok' });
  });

  it('is what infra/README.md tells the operator to run', () => {
    const readme = readFileSync(path.join(ROOT, 'infra/README.md'), 'utf8');
    expect(readme).toContain(PG_DUMP_COMMAND);
    expect(readme).toContain(PG_RESTORE_COMMAND);
  });
});
