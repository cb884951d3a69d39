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
}

/**
 * A PrismaClient over a pg pool of `poolSize` connections (Prisma 7 has no
 * built-in engine: @prisma/adapter-pg runs the queries). Connections open
 * lazily; call `$disconnect()` on shutdown to close the pool.
 */
export function createDbClient(options: DbClientOptions): PrismaClient {
  const { url, poolSize, log, applicationName, acquireTimeoutMs = 30_000 } = options;
  if (!url) throw new Error('createDbClient: no database url (DATABASE_URL)');
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new Error(`createDbClient: poolSize must be a positive integer (DB_POOL_SIZE), got ${poolSize}`);
  }
  const adapter = new PrismaPg(
    {
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: acquireTimeoutMs,
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
