import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestStack, type TestStack } from '@voc/local-stack';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, listMigrations, MigrationError } from '@voc/db/migrate';
import { createDatabase, tableNames, withPg } from './support';

jest.setTimeout(120_000);

const MODEL_TABLES = [
  'api_key_webhooks',
  'dimensions',
  'gateway_uploads',
  'insights',
  'labels',
  'learning_jobs',
  'llm_usage',
  'products',
  'rejected_product_fields',
  'rejected_reviews',
  'reports',
  'reviews',
  'themes',
  'uploads',
];

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

async function migrationRows(url: string): Promise<MigrationRow[]> {
  return withPg(url, async (pg) => {
    const { rows } = await pg.query<MigrationRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM _prisma_migrations ORDER BY migration_name',
    );
    return rows;
  });
}

describe('applyMigrations', () => {
  let stack: TestStack;
  let tmp: string;

  beforeAll(async () => {
    stack = await startTestStack({ postgres: true });
    tmp = mkdtempSync(path.join(tmpdir(), 'voc-db-migrations-'));
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('applies every committed migration to a fresh database, then nothing on a second run', async () => {
    const url = await createDatabase(stack.databaseUrl, 'fresh');
    const committed = await listMigrations(DEFAULT_MIGRATIONS_DIR);
    expect(committed.length).toBeGreaterThan(0);
    expect(await tableNames(url)).toEqual([]);

    const first = await applyMigrations(url);
    expect(first.applied).toEqual(committed);
    expect(await tableNames(url)).toEqual(['_prisma_migrations', ...MODEL_TABLES]);

    // Recorded as `prisma migrate deploy` does: finished, with the script's sha256.
    const rows = await migrationRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual(committed);
    for (const row of rows) {
      const sql = readFileSync(path.join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
    }

    const second = await applyMigrations(url);
    expect(second.applied).toEqual([]);
    expect(await migrationRows(url)).toHaveLength(committed.length);
  });

  it('applies only the migrations added since the last run, as whole scripts', async () => {
    const url = await createDatabase(stack.databaseUrl, 'incremental');
    const dir = path.join(tmp, 'incremental');
    cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await applyMigrations(url, { migrationsDir: dir });

    // A ';' inside a literal: the script must reach PostgreSQL whole, not split on ';'.
    addMigration(dir, '29990101000000_seed_product', `INSERT INTO "products" ("asin", "title", "updated_at") VALUES ('B0SEMI', 'a;b', now());`);
    const { applied } = await applyMigrations(url, { migrationsDir: dir });

    expect(applied).toEqual(['29990101000000_seed_product']);
    const titles = await withPg(url, (pg) => pg.query<{ title: string }>(`SELECT title FROM products WHERE asin = 'B0SEMI'`));
    expect(titles.rows).toEqual([{ title: 'a;b' }]);
  });

  it('rolls a failing migration back whole, records it as failed, and refuses to go on until it is resolved', async () => {
    const url = await createDatabase(stack.databaseUrl, 'failing');
    const dir = path.join(tmp, 'failing');
    cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    addMigration(dir, '29990101000000_broken', 'CREATE TABLE "half_done" (x int);\nSELECT 1/0;');

    const failure = await applyMigrations(url, { migrationsDir: dir }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as MigrationError).message).toMatch(/division by zero/);
    // The committed migrations went in; the broken one left nothing behind.
    expect(await tableNames(url)).toEqual(['_prisma_migrations', ...MODEL_TABLES]);
    const broken = (await migrationRows(url)).find((r) => r.migration_name === '29990101000000_broken');
    expect(broken?.finished_at).toBeNull();
    expect(broken?.logs).toMatch(/division by zero/);

    // Like `prisma migrate deploy`: a failed migration blocks later runs.
    await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(/29990101000000_broken/);
  });

  it('names the unreachable database, without its password', async () => {
    const failure = await applyMigrations('postgresql://voc:s3cret@127.0.0.1:1/voc').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MigrationError);
    const message = (failure as Error).message;
    expect(message).toContain('postgresql://voc:***@127.0.0.1:1/voc');
    expect(message).toMatch(/reach/i);
    expect(message).not.toContain('s3cret');
  });

  it('refuses a URL that is not postgresql:// before starting anything', async () => {
    await expect(applyMigrations('')).rejects.toThrow(/DATABASE_URL/);
    await expect(applyMigrations('mysql://root@localhost/db')).rejects.toThrow(/not a postgresql:\/\/ URL/);
  });
});

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, 'migration.sql'), `${sql}\n`);
}
