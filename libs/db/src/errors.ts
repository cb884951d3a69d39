/**
 * Telling a database that is away from a row the database cannot take.
 *
 * Through Prisma 7 and @prisma/adapter-pg an error arrives as a
 * PrismaClientKnownRequestError (its `code` a Prisma P-code, the PostgreSQL
 * SQLSTATE in `meta.driverAdapterError.cause`), or — for connection trouble
 * the adapter does not map — as node-postgres' plain Error ("Connection
 * terminated unexpectedly", "Query read timeout", "timeout exceeded when
 * trying to connect"), or as a Node socket error. Each was observed against
 * a real server behind a proxy that refuses, resets or hangs.
 */

/** Prisma error codes that mean the server could not be reached or answered too late. */
const UNAVAILABLE_PRISMA_CODES = new Set([
  'P1001', // can't reach database server
  'P1002', // server reached but timed out
  'P1008', // operations timed out
  'P1017', // server closed the connection
  'P2024', // timed out fetching a connection from the pool
  'P2028', // transaction API: could not start a transaction in time (pool or server stuck)
]);

/** Adapter error kinds that are about the connection, not the statement. */
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);

/**
 * SQLSTATE classes and codes of a server that is unavailable or overloaded:
 * 08 connection exceptions, 53 insufficient resources, 57P01–57P03 (admin or
 * crash shutdown, cannot connect now), 57014 (statement timeout: the server
 * did not answer in time), 40001/40P01 (serialization failure, deadlock:
 * retrying the same statement succeeds).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^(08|53)/.test(code) || ['57P01', '57P02', '57P03', '57014', '40001', '40P01'].includes(code);
}

/**
 * SQLSTATEs of a row the database cannot store: 22 data exceptions (NUL
 * 22021, out of range 22003, too long 22001, bad JSON 22P02/22P05, …), 54000
 * (an index row too large), 23514 (a CHECK constraint) and 23502 (a NOT NULL
 * column left empty).
 */
function isDataSqlState(code: string): boolean {
  return code.startsWith('22') || ['54000', '23514', '23502'].includes(code);
}

const NODE_PG_UNAVAILABLE = [
  /^Connection terminated/,
  /^Query read timeout$/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

interface Shape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  syscall?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; originalCode?: unknown } } };
  cause?: unknown;
}

/** The PostgreSQL SQLSTATE behind an error (Prisma-wrapped or node-postgres'), if any. */
export function pgErrorCode(err: unknown): string | undefined {
  for (const e of chain(err)) {
    const cause = e.meta?.driverAdapterError?.cause;
    const code = cause?.originalCode ?? cause?.code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    // node-postgres' DatabaseError carries the SQLSTATE itself.
    if (e.name === 'error' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/**
 * True when `err` says the database is unreachable, stalled or overloaded
 * (for everyone), rather than that this statement or its data is wrong.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    if (typeof e.code === 'string' && UNAVAILABLE_PRISMA_CODES.has(e.code)) return true;
    if (e.name === 'PrismaClientInitializationError') return true;
    const kind = e.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(kind)) return true;
    if (typeof e.syscall === 'string' && typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && NODE_PG_UNAVAILABLE.some((re) => re.test(e.message as string))) return true;
  }
  const code = pgErrorCode(err);
  return code !== undefined && isUnavailableSqlState(code);
}

/** True when PostgreSQL refused a row for its values (NUL, out of range, too long, bad JSON, a CHECK…): retrying it cannot help. */
export function isUnstorableValue(err: unknown): boolean {
  const code = pgErrorCode(err);
  return code !== undefined && isDataSqlState(code);
}

/** The error and its causes (Error.cause, Prisma's wrapping), at most a few deep. */
function chain(err: unknown): Shape[] {
  const out: Shape[] = [];
  let e: unknown = err;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    out.push(e as Shape);
    e = (e as Shape).cause;
  }
  return out;
}
