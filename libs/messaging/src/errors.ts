/**
 * How a handler tells the runner what to do with a failed message:
 * - TransientError (and any other error): retry later with a growing delay,
 *   dead-letter when the deliveries run out;
 * - PermanentError: retrying cannot help; dead-letter at once.
 */
export class TransientError extends Error {
  override name = 'TransientError';
  /** Overrides the runner's exponential retry delay (e.g. from a Retry-After). */
  readonly retryAfterMs?: number;

  constructor(message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: opts.cause });
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export class PermanentError extends Error {
  override name = 'PermanentError';

  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}

/** A job that does not match its queue's schema; it is never published. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';

  constructor(
    readonly queue: string,
    readonly msgId: string | undefined,
    message: string,
  ) {
    super(msgId ? `${message} (msgId ${msgId})` : message);
  }
}

/** A publish that JetStream did not acknowledge. */
export class PublishError extends Error {
  override name = 'PublishError';

  constructor(
    readonly queue: string,
    readonly subject: string,
    readonly msgId: string,
    cause: unknown,
  ) {
    super(`publish to ${queue} (${subject}, msgId ${msgId}) failed: ${errorMessage(cause)}`, { cause });
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The JetStream API error code (`err_code`) carried by a nats.js error, if any. */
export function jsErrorCode(e: unknown): number | undefined {
  const api = (e as { api_error?: { err_code?: number } } | undefined)?.api_error;
  return typeof api?.err_code === 'number' ? api.err_code : undefined;
}

/** nats.js error codes of a server that is away or not answering (not of a bad request). */
const NATS_UNAVAILABLE_CODES = new Set(['TIMEOUT', '503', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'DISCONNECT']);
/** JetStream API errors of a cluster that cannot serve right now (no leader, no quorum, starting). */
const JS_UNAVAILABLE_ERR_CODES = new Set([10008 /* JetStream temporarily unavailable */, 10023 /* insufficient resources */]);

/**
 * True when `err` (or its cause: a PublishError wraps the client's error)
 * says NATS or JetStream is unreachable or not answering, rather than that
 * the request itself was wrong.
 */
export function isNatsUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NATS_UNAVAILABLE_CODES.has(code)) return true;
    const jsCode = jsErrorCode(e);
    if (jsCode !== undefined && JS_UNAVAILABLE_ERR_CODES.has(jsCode)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** JetStream API error codes this library reacts to. */
export const JS_ERR = {
  CONSUMER_NOT_FOUND: 10014,
  NO_MESSAGE_FOUND: 10037,
  /** STREAM.MSG.DELETE of a sequence that is already gone. */
  DELETE_NO_MESSAGE: 10057,
  STREAM_NAME_IN_USE: 10058,
  STREAM_NOT_FOUND: 10059,
} as const;
