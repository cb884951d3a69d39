/**
 * Migrations of the VOC database, without the Prisma CLI (see README.md):
 * Prisma's schema engine compiled to WebAssembly applies and diffs them.
 *
 * The engine runs in a short-lived child process (src/migrate/host.ts under
 * tsx): its package is ESM with a .wasm import that jest's module registry
 * cannot load, and the child keeps its ~100 MB of wasm memory out of the
 * caller. Import this module as `@voc/db/migrate`; the runtime client
 * (`@voc/db`) never loads it.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineRequest, EngineResponse, EngineResults } from './migrate/protocol';

export { listMigrations } from './migrate/migrations-dir';

const LIB_ROOT = path.resolve(__dirname, '..');
/** The schema this package generates its client from. */
export const DEFAULT_SCHEMA_PATH = path.join(LIB_ROOT, 'prisma', 'schema.prisma');
/** The committed migrations of that schema. */
export const DEFAULT_MIGRATIONS_DIR = path.join(LIB_ROOT, 'prisma', 'migrations');

export interface MigrationPaths {
  /** Defaults to DEFAULT_SCHEMA_PATH. */
  schemaPath?: string;
  /** Defaults to DEFAULT_MIGRATIONS_DIR. */
  migrationsDir?: string;
}

/** A failure of the schema engine; `code` is Prisma's error code when it gave one (P1001, P3018, …). */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * `prisma migrate deploy`: applies the migrations not yet applied to the
 * database, in order, recording each in `_prisma_migrations`. Idempotent:
 * returns the names it applied, [] when the database was up to date.
 */
export async function applyMigrations(
  databaseUrl: string,
  paths: Pick<MigrationPaths, 'migrationsDir'> = {},
): Promise<{ applied: string[] }> {
  return runEngine('apply', {
    op: 'apply',
    databaseUrl: requireUrl(databaseUrl),
    migrationsDir: path.resolve(paths.migrationsDir ?? DEFAULT_MIGRATIONS_DIR),
  });
}

/**
 * The SQL a new migration would need for the migrations to produce what the
 * schema describes: '' when they are in sync (no drift). The migrations are
 * replayed on a temporary shadow database created, then dropped, on the
 * server of `databaseUrl` (default: DATABASE_URL); that database itself is
 * neither read nor changed.
 */
export async function diffSchemaAgainstMigrations(
  databaseUrl: string | undefined = process.env.DATABASE_URL,
  paths: MigrationPaths = {},
): Promise<string> {
  const { sql } = await runEngine('diff', {
    op: 'diff',
    databaseUrl: requireUrl(databaseUrl),
    migrationsDir: path.resolve(paths.migrationsDir ?? DEFAULT_MIGRATIONS_DIR),
    schemaPath: path.resolve(paths.schemaPath ?? DEFAULT_SCHEMA_PATH),
  });
  return sql;
}

/** The URL with its password masked, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new MigrationError('no database URL given (set DATABASE_URL)');
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new MigrationError(`database URL ${redactUrl(url)} is not a URL`);
  }
  if (protocol !== 'postgresql:' && protocol !== 'postgres:') {
    throw new MigrationError(`database URL ${redactUrl(url)} is not a postgresql:// URL`);
  }
  return url;
}

const HOST = path.join(__dirname, 'migrate', 'host.ts');

const DOING: Record<EngineRequest['op'], (url: string) => string> = {
  apply: (url) => `applying migrations to ${url}`,
  diff: (url) => `diffing the migrations against the schema (shadow database on ${url})`,
};

/** Runs one request in a fresh engine host process and returns its result. */
function runEngine<Op extends EngineRequest['op']>(op: Op, req: EngineRequest & { op: Op }): Promise<EngineResults[Op]> {
  return new Promise((resolve, reject) => {
    const child = fork(HOST, [], {
      execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    let response: EngineResponse | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('message', (msg: EngineResponse) => {
      response = msg;
    });
    child.on('error', (err) => reject(new MigrationError(`could not start the schema engine host: ${err.message}`)));
    child.on('exit', (code, signal) => {
      const doing = DOING[op](redactUrl(req.databaseUrl));
      if (response?.ok) resolve(response.value as EngineResults[Op]);
      else if (response) reject(new MigrationError(`${doing} failed: ${response.error.message}`, response.error.code));
      else reject(new MigrationError(`${doing}: the engine host exited (${signal ?? code}) without an answer\n${stderr}`));
    });
    child.send(req);
  });
}
