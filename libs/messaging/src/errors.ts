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

/** JetStream API error codes this library reacts to. */
export const JS_ERR = {
  CONSUMER_NOT_FOUND: 10014,
  NO_MESSAGE_FOUND: 10037,
  /** STREAM.MSG.DELETE of a sequence that is already gone. */
  DELETE_NO_MESSAGE: 10057,
  STREAM_NAME_IN_USE: 10058,
  STREAM_NOT_FOUND: 10059,
} as const;
