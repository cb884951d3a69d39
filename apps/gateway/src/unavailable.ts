/**
 * Which failures are an infrastructure outage the client may simply retry
 * (NATS or PostgreSQL away, overloaded or restarting): those become 503 with
 * Retry-After, never a 500 that reads as "your request is broken".
 */
import { ErrorCode as NatsErrorCode, NatsError } from 'nats';
import { PublishError } from '@voc/messaging';

export type Dependency = 'queue' | 'database';

const NATS_OUTAGE_CODES = new Set<string>([
  NatsErrorCode.Timeout,
  NatsErrorCode.ConnectionClosed,
  NatsErrorCode.ConnectionDraining,
  NatsErrorCode.ConnectionRefused,
  NatsErrorCode.ConnectionTimeout,
  NatsErrorCode.Disconnect,
  NatsErrorCode.NoResponders,
  NatsErrorCode.JetStreamNotEnabled,
]);

/** Prisma codes for "cannot reach / lost / out of connections". */
const PRISMA_OUTAGE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);

/** Driver adapter error kinds (@prisma/driver-adapter-utils) that mean the same. */
const ADAPTER_OUTAGE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/** PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57P operator intervention (shutdown). */
const PG_OUTAGE_STATE = /^(08|53|57P)/;

/** pg's pool gives plain Errors for these. */
const PG_POOL_MESSAGES = /timeout exceeded when trying to connect|Connection terminated/i;

/** The dependency whose outage caused `err` (looking through `cause` chains), if any. */
export function outageOf(err: unknown, depth = 0): Dependency | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  // Any publish JetStream did not acknowledge: nothing was (or may have been) stored,
  // and the content-derived msgId makes the client's retry safe.
  if (err instanceof PublishError) {
    // Except a message over the server's max_payload: that is our bug (config.ts checks the part size against it).
    const cause = err.cause;
    return cause instanceof NatsError && cause.code === NatsErrorCode.MaxPayloadExceeded ? undefined : 'queue';
  }
  if (err instanceof NatsError && NATS_OUTAGE_CODES.has(err.code)) return 'queue';
  const e = err as { name?: unknown; code?: unknown; message?: unknown; meta?: unknown; cause?: unknown };
  if (typeof e.name === 'string' && e.name.startsWith('PrismaClient')) {
    if (e.name === 'PrismaClientInitializationError') return 'database';
    if (typeof e.code === 'string' && PRISMA_OUTAGE_CODES.has(e.code)) return 'database';
    const adapter = (e.meta as { driverAdapterError?: { cause?: { kind?: string; code?: string } } } | undefined)?.driverAdapterError?.cause;
    if (adapter?.kind && ADAPTER_OUTAGE_KINDS.has(adapter.kind)) return 'database';
    if (adapter?.kind === 'postgres' && typeof adapter.code === 'string' && PG_OUTAGE_STATE.test(adapter.code)) return 'database';
    if (typeof e.message === 'string' && PG_POOL_MESSAGES.test(e.message)) return 'database';
  }
  return outageOf(e.cause, depth + 1);
}
