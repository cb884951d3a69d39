import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestStack, type TestStack } from '@voc/local-stack';
import { DEFAULT_SCHEMA_PATH, diffSchemaAgainstMigrations } from '@voc/db/migrate';
import { databaseNames, tableNames } from './support';

jest.setTimeout(120_000);

describe('diffSchemaAgainstMigrations (drift check)', () => {
  let stack: TestStack;
  let tmp: string;

  beforeAll(async () => {
    stack = await startTestStack({ postgres: true });
    tmp = mkdtempSync(path.join(tmpdir(), 'voc-db-drift-'));
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('schema.prisma and the committed migrations agree (run `npm run migrate:new -w @voc/db -- <name>` if not)', async () => {
    const sql = await diffSchemaAgainstMigrations(stack.databaseUrl);
    expect(sql).toBe('');
  });

  it('returns the missing SQL when the schema has a field the migrations lack', async () => {
    const schemaPath = path.join(tmp, 'schema.prisma');
    const schema = readFileSync(DEFAULT_SCHEMA_PATH, 'utf8');
    const changed = schema.replace(/(\n\s*bodyZh\s+String\?[^\n]*\n)/, '$1  language String? @map("language")\n');
    expect(changed).not.toBe(schema);
    writeFileSync(schemaPath, changed);

    const sql = await diffSchemaAgainstMigrations(stack.databaseUrl, { schemaPath });
    expect(sql).toMatch(/ALTER TABLE "reviews" ADD COLUMN\s+"language" TEXT/);
  });

  it('returns the whole schema when there are no migrations at all', async () => {
    const sql = await diffSchemaAgainstMigrations(stack.databaseUrl, { migrationsDir: path.join(tmp, 'none') });
    expect(sql).toMatch(/CREATE TABLE "reviews"/);
    expect(sql).toMatch(/CREATE UNIQUE INDEX "insights_review_pk_position_key"/);
  });

  it('works on a throwaway shadow database: the database of the URL is untouched and no shadow is left', async () => {
    await diffSchemaAgainstMigrations(stack.databaseUrl);
    expect(await tableNames(stack.databaseUrl)).toEqual([]);
    expect((await databaseNames(stack.databaseUrl)).filter((d) => d.startsWith('prisma_migrate_shadow'))).toEqual([]);
  });

  it('needs a server for the shadow database and says so', async () => {
    await expect(diffSchemaAgainstMigrations('')).rejects.toThrow(/DATABASE_URL/);
  });
});
