/**
 * `npm run migrate:check -w @voc/db`: fails (exit 1, printing the missing SQL)
 * when prisma/schema.prisma and prisma/migrations disagree, i.e. someone
 * changed the schema without `migrate:new`.
 */
import { diffSchemaAgainstMigrations } from '../src/migrate';
import { withPostgresServer } from './postgres-server';

async function main(): Promise<void> {
  const sql = await withPostgresServer((url) => diffSchemaAgainstMigrations(url));
  if (sql) {
    console.error(
      'migrate:check: schema.prisma and the migrations differ; run `npm run migrate:new -w @voc/db -- <name>`.\n' +
        `The missing migration:\n\n${sql}`,
    );
    process.exit(1);
  }
  console.log('migrate:check: schema.prisma and the migrations agree');
}

main().catch((err: Error) => {
  console.error(`migrate:check: ${err.message}`);
  process.exit(2);
});
