/**
 * PostgreSQL: reachable with the credentials, every migration of this
 * checkout applied (none failed), and connections to spare for the fleet's
 * pools.
 */
import { Client } from 'pg';
import { DEPLOY_ROLES } from '@voc/config';
import { DEFAULT_MIGRATIONS_DIR, listMigrations, redactUrl } from '@voc/db/migrate';
import { poolConnections } from '@voc/infra';
import { fail, ok, warn, type CheckResult } from '../report';

interface AppliedRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function checkPostgres(url: string, timeoutMs: number, migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<CheckResult[]> {
  const where = redactUrl(url);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: 'voc-doctor' });
  // Errors of an established connection surface through the awaited queries.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    return [fail('postgres', `${where}: ${(err as Error).message}`)];
  }
  try {
    const results: CheckResult[] = [];
    const { rows } = await client.query<{ version: string; max: string; used: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('max_connections') AS max, (SELECT count(*) FROM pg_stat_activity)::text AS used",
    );
    const { version, max, used } = rows[0]!;
    const [a, b, w] = DEPLOY_ROLES.map(poolConnections);
    const pools = `pools of the deployment: A ${a}, B ${b}, ${w} per worker host`;
    const maxConnections = Number(max);
    if (Number(used) > 0.8 * maxConnections) {
      results.push(warn('postgres', `${where}: PostgreSQL ${version}, ${used} of max_connections ${max} in use (${pools})`));
    } else {
      results.push(ok('postgres', `${where}: PostgreSQL ${version}, ${used} of max_connections ${max} in use (${pools})`));
    }
    results.push(await migrationsResult(client, migrationsDir));
    return results;
  } catch (err) {
    return [fail('postgres', `${where}: ${(err as Error).message}`)];
  } finally {
    await client.end();
  }
}

async function migrationsResult(client: Client, migrationsDir: string): Promise<CheckResult> {
  const check = 'postgres migrations';
  const known = await listMigrations(migrationsDir);
  let rows: AppliedRow[];
  try {
    rows = (await client.query<AppliedRow>('SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations')).rows;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      return fail(check, `none applied (${known.length} pending): start the migrate service (docker compose up migrate)`);
    }
    throw err;
  }
  const failed = rows.filter((r) => !r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
  if (failed.length) return fail(check, `failed migration blocks the rest: ${failed.join(', ')} (see libs/db/README.md)`);
  const applied = new Set(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
  const pending = known.filter((m) => !applied.has(m));
  if (pending.length) return fail(check, `${pending.length} of ${known.length} pending: ${pending.join(', ')} (run the migrate service)`);
  const unknown = [...applied].filter((m) => !known.includes(m));
  if (unknown.length) return warn(check, `all ${known.length} applied, and ${unknown.length} this checkout does not know (newer code deployed?): ${unknown.join(', ')}`);
  return ok(check, `all ${known.length} applied`);
}
