import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '@voc/service-kit';
import { outageOf, type Dependency } from './unavailable';

/**
 * Every error code the gateway answers with, its HTTP status and what it
 * means: the one table that routes throw from, the error handler renders,
 * and the OpenAPI document lists as the enum of `error.code`.
 */
export const ERROR_CODES = {
  invalid_path: { status: 400, description: 'the URL path is malformed (a broken percent-escape)' },
  invalid_asin: { status: 400, description: 'the ASIN is not 10 upper-case letters or digits' },
  invalid_upload: { status: 400, description: 'the body is not `{ reviews: [...] }`, has 0 or more than 1,000 reviews, or a bad `product`' },
  invalid_reviews: { status: 400, description: 'some reviews are invalid: `details` has each `index` and `field`' },
  invalid_json: { status: 400, description: 'the body is not JSON, or not a JSON object' },
  invalid_encoding: { status: 400, description: 'the body is not valid UTF-8' },
  json_too_deep: { status: 400, description: 'the JSON nests deeper than the API ever needs' },
  invalid_query: { status: 400, description: 'a query parameter is out of range, malformed, or given twice' },
  invalid_cursor: { status: 400, description: 'a `cursor` this API did not return' },
  invalid_report_id: { status: 400, description: 'the report id is not a UUID' },
  invalid_upload_id: { status: 400, description: 'the upload id is not a UUID' },
  invalid_webhook: { status: 400, description: 'the webhook URL is not an absolute http(s) URL the gateway may call' },
  unauthorized: { status: 401, description: 'missing `Authorization: Bearer`, or an unknown key' },
  not_found: { status: 404, description: 'unknown product, report, upload or route' },
  learning_not_queued: { status: 409, description: 'learning cannot be queued in the product’s state' },
  payload_too_large: { status: 413, description: 'the body is over the body limit: split the upload (the message says how)' },
  unsupported_media_type: { status: 415, description: 'a request body that is not `Content-Type: application/json`' },
  rate_limited: { status: 429, description: 'this key sent more requests per second than GATEWAY_KEY_RPS allows (burst: twice that); see Retry-After' },
  quota_exceeded: { status: 429, description: 'this upload would take the key over GATEWAY_KEY_REVIEWS_PER_DAY; Retry-After says when the UTC day ends' },
  cooldown: { status: 429, description: 'this key asked for the same product’s learning or report too recently; Retry-After says when it may again' },
  server_busy: { status: 503, description: 'too many request bodies are being read at once; retry after Retry-After' },
  queue_unavailable: { status: 503, description: 'NATS/JetStream is down or did not acknowledge in time; retry (re-sending is safe)' },
  database_unavailable: { status: 503, description: 'PostgreSQL is unreachable or out of connections; retry' },
  shutting_down: { status: 503, description: 'this instance received SIGTERM; retry (another instance)' },
  internal: { status: 500, description: 'a bug: logged with the request id' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];

export interface ErrorDetail {
  index?: number;
  field?: string;
  message: string;
}

/** A client-visible error: rendered as `{ error: { code, message, details } }` (C4), status from ERROR_CODES. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code].description,
    readonly details: ErrorDetail[] = [],
    /** Seconds, sent as Retry-After (429 and 503: when it is worth trying again). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_CODES[code].status;
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);

const OUTAGE: Record<Dependency, { code: ErrorCode; message: string }> = {
  queue: {
    code: 'queue_unavailable',
    message: 'the job queue (NATS JetStream) is unavailable and did not confirm the request; retry later (re-sending the same upload is safe: duplicates are dropped)',
  },
  database: { code: 'database_unavailable', message: 'the database is unavailable; retry later' },
};

export const unavailable = (dependency: Dependency, retryAfterS: number) =>
  new ApiError(OUTAGE[dependency].code, OUTAGE[dependency].message, [], retryAfterS);

/** Unknown routes get the same JSON error shape as everything else. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError('not_found', `no route for ${req.method} ${req.path.slice(0, 200)}`));
};

/** The request's child logger (see request-log.ts), or the service's. */
export function requestLog(res: Response, fallback: Logger): Logger {
  return (res.locals.log as Logger | undefined) ?? fallback;
}

/** Express' router marks a path parameter it cannot percent-decode with a URIError of status 400. */
const isBadEscape = (err: unknown) => err instanceof URIError && (err as { status?: unknown }).status === 400;

/**
 * Last middleware: ApiErrors as they are; a broken percent-escape as 400;
 * NATS or PostgreSQL outages as 503 with Retry-After; anything else is our
 * fault, logged with context, 500.
 */
export function errorHandler(log: Logger, opts: { retryAfterS: number }): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // Express' own contract: once the response started, only it can end the connection.
    if (res.headersSent) return next(err);
    const rlog = requestLog(res, log);
    let e: ApiError;
    const outage = err instanceof ApiError ? undefined : outageOf(err);
    if (err instanceof ApiError) e = err;
    else if (isBadEscape(err)) e = new ApiError('invalid_path', 'the URL path has a malformed percent-escape', [{ field: 'path', message: 'not valid percent-encoded UTF-8' }]);
    else if (outage) {
      rlog.warn({ err, dependency: outage, method: req.method, path: req.path }, 'dependency unavailable');
      e = unavailable(outage, opts.retryAfterS);
    } else {
      rlog.error({ err, method: req.method, path: req.path }, 'request failed');
      e = new ApiError('internal', 'internal error; the request may be retried');
    }
    if (e.status >= 500 && err instanceof ApiError) rlog.warn({ code: e.code, path: req.path }, 'request refused');
    if (e.retryAfterS !== undefined) res.set('Retry-After', String(e.retryAfterS));
    res.status(e.status).json({ error: { code: e.code, message: e.message, details: e.details } });
  };
}
