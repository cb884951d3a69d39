/**
 * `npm run migrate:new -w @voc/db -- <name>`: writes
 * prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes
 * the committed migrations to prisma/schema.prisma. Review it, then commit it.
 */
import { diffSchemaAgainstMigrations, DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH } from '../src/migrate';
import { sanitizeMigrationName, writeMigration } from '../src/migrate/migrations-dir';
import { withPostgresServer } from './postgres-server';

async function main(): Promise<void> {
  const name = sanitizeMigrationName(process.argv.slice(2).join('_'));
  if (!name) throw new Error('usage: npm run migrate:new -w @voc/db -- <name>   (e.g. add_review_language)');
  const sql = await withPostgresServer((url) => diffSchemaAgainstMigrations(url));
  if (!sql) {
    throw new Error(`no change: the migrations already produce ${DEFAULT_SCHEMA_PATH}; nothing written`);
  }
  const written = await writeMigration(DEFAULT_MIGRATIONS_DIR, name, sql);
  console.log(`migrate:new: wrote ${written.dir}/migration.sql:\n\n${sql}`);
}

main().catch((err: Error) => {
  console.error(`migrate:new: ${err.message}`);
  process.exit(1);
});
