import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';
import type { QueryResult } from 'pg';

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

/**
 * Private methods of adapter-pg 7.10's adapter and transaction classes that
 * the corrections below hook into. If an upgrade renames them, `internals()`
 * throws and every migration test fails, loudly.
 */
interface PgInternals {
  /** Runs one query; every read of the adapter and its transactions goes through it. */
  performIO(query: unknown): Promise<QueryResult>;
  /** Throws the DriverAdapterError the engine understands for a pg error. */
  onError(error: unknown): never;
}

/** PostgreSQL's internal one-byte `"char"` type, and `text`. */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/** A server that does not answer must fail the migration, not hang it. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The driver adapter the wasm schema engine migrates through: @prisma/adapter-pg
 * with three corrections.
 *
 * - Shadow database. PrismaPg.connectToShadowDb() creates the database but then
 *   connects with `{ connectionString, database }`, and pg lets the connection
 *   string win: the "shadow" would be the main database. Here the shadow URL
 *   is the main URL with another database name.
 * - `"char"` columns. The engine reads catalog columns of PostgreSQL's
 *   one-byte `"char"` type (pg_class.relkind, …), which adapter-pg 7.10
 *   rejects as unsupported; they are read as the text they are.
 * - Scripts. PrismaPg.executeScript() splits on ';' and runs statement by
 *   statement: a ';' inside a literal breaks it, and a failing migration is
 *   left half-applied. Here a script is one simple-protocol query, which
 *   PostgreSQL runs in one implicit transaction, as Prisma's native engine does.
 *
 * `close()` releases every pool the engine opened (it does not always dispose
 * them itself) so that the process can exit.
 */
export class MigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';
  private readonly open = new Set<SqlDriverAdapter>();

  constructor(private readonly url: string) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.connectTo(this.url);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const admin = await this.connectTo(this.url);
    const name = `prisma_migrate_shadow_db_${randomUUID().replace(/-/g, '')}`;
    await admin.executeScript(`CREATE DATABASE "${name}"`);
    const shadowUrl = new URL(this.url);
    shadowUrl.pathname = `/${name}`;
    return this.connectTo(shadowUrl.toString(), async () => {
      // FORCE: a connection the engine left open must not keep the shadow alive.
      await admin.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.dispose();
    });
  }

  /** Disposes whatever the engine left open; shadow databases are dropped. */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    // Newest first: a shadow database's admin connection outlives the shadow.
    for (const adapter of [...this.open].reverse()) {
      await adapter.dispose().catch((err: unknown) => errors.push(err));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'closing migration connections failed');
  }

  private async connectTo(url: string, afterDispose?: () => Promise<void>): Promise<SqlDriverAdapter> {
    const adapter: PgAdapter = await new PrismaPg({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    }).connect();
    const pool = adapter.underlyingDriver();
    const pg = internals(adapter);

    readCharAsText(adapter);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => readCharAsText(await startTransaction(isolationLevel));

    adapter.executeScript = async (script: string) => {
      try {
        await pool.query(script);
      } catch (err) {
        pg.onError(err);
      }
    };

    const release = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    // Idempotent: the engine and close() may both dispose the same adapter.
    adapter.dispose = () => {
      this.open.delete(adapter);
      disposed ??= release().finally(afterDispose);
      return disposed;
    };
    this.open.add(adapter);
    return adapter;
  }
}

function internals(queryable: SqlDriverAdapter | Transaction): PgInternals {
  const q = queryable as unknown as Partial<PgInternals>;
  if (typeof q.performIO !== 'function' || typeof q.onError !== 'function') {
    throw new Error('@prisma/adapter-pg changed: no performIO()/onError(); update src/migrate/adapter.ts');
  }
  return q as PgInternals;
}

/** Rewrites `"char"` result columns to `text` before adapter-pg maps column types. */
function readCharAsText<T extends SqlDriverAdapter | Transaction>(queryable: T): T {
  const target = internals(queryable);
  const performIO = target.performIO.bind(queryable);
  target.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    return result;
  };
  return queryable;
}
