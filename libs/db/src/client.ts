import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

/** Where Prisma's warnings and errors go; a pino logger fits. */
export interface DbLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DbClientOptions {
  /** postgresql://user:password@host:port/database (DATABASE_URL). */
  url: string;
  /** Connections this process may hold (DB_POOL_SIZE): each service sizes its own pool. */
  poolSize: number;
  log?: DbLogger;
  /** Shown in pg_stat_activity: name the service. */
  applicationName?: string;
  /** How long a query may wait for a free connection (or a new one to open) before failing. Default 30 s. */
  acquireTimeoutMs?: number;
  /**
   * How long one statement may run: the server cancels it then (statement_timeout),
   * and the client gives up a little later on its own (query_timeout), so a hung
   * server surfaces as an error instead of a handler waiting forever. Default 60 s.
   */
  queryTimeoutMs?: number;
}

/** The client's own deadline comes a little after the server's, so the server's (clearer) error wins when it can answer. */
const clientTimeoutMs = (queryTimeoutMs: number) => queryTimeoutMs + Math.min(5_000, Math.ceil(queryTimeoutMs / 4));

/**
 * A PrismaClient over a pg pool of `poolSize` connections (Prisma 7 has no
 * built-in engine: @prisma/adapter-pg runs the queries). Connections open
 * lazily; call `$disconnect()` on shutdown to close the pool. Every wait has
 * a deadline (acquire, statement, client read), so an unreachable or hung
 * server ends in an error that `isDatabaseUnavailable` recognises.
 */
export function createDbClient(options: DbClientOptions): PrismaClient {
  const { url, poolSize, log, applicationName, acquireTimeoutMs = 30_000, queryTimeoutMs = 60_000 } = options;
  if (!url) throw new Error('createDbClient: no database url (DATABASE_URL)');
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new Error(`createDbClient: poolSize must be a positive integer (DB_POOL_SIZE), got ${poolSize}`);
  }
  const adapter = new PrismaPg(
    {
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: acquireTimeoutMs,
      statement_timeout: queryTimeoutMs,
      query_timeout: clientTimeoutMs(queryTimeoutMs),
      // A peer that vanished without closing (a dead host) is noticed by TCP keepalive.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(applicationName ? { application_name: applicationName } : {}),
    },
    // An idle connection dropped by the server is replaced on next use; say so, do not crash.
    log ? { onPoolError: (err) => log.warn({ err }, 'database pool: idle connection error') } : undefined,
  );
  if (!log) return new PrismaClient({ adapter });
  const client = new PrismaClient({
    adapter,
    log: [
      { emit: 'event', level: 'warn' },
      { emit: 'event', level: 'error' },
    ],
  });
  client.$on('warn', (e) => log.warn({ target: e.target }, e.message));
  client.$on('error', (e) => log.error({ target: e.target }, e.message));
  return client;
}
