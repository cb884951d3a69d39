/** `npm run migrate -w @voc/db`: applies pending migrations to DATABASE_URL. */
import { applyMigrations, redactUrl } from '../src/migrate';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: it names the database to migrate (postgresql://user:pass@host:port/db)');
  try {
    const { applied } = await applyMigrations(url);
    if (applied.length === 0) console.log(`migrate: ${redactUrl(url)} is up to date`);
    else console.log(`migrate: applied to ${redactUrl(url)}:\n${applied.map((m) => `  ${m}`).join('\n')}`);
  } catch (err) {
    throw new Error(`DATABASE_URL: ${(err as Error).message}`, { cause: err });
  }
}

main().catch((err: Error) => {
  console.error(`migrate: ${err.message}`);
  process.exit(1);
});
