import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '@voc/service-kit';
import { outageOf, type Dependency } from './unavailable';

export interface ErrorDetail {
  index?: number;
  field?: string;
  message: string;
}

/** A client-visible error: rendered as `{ error: { code, message, details } }` (C4). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Seconds, sent as Retry-After (503s: when it is worth trying again). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

const OUTAGE_MESSAGES: Record<Dependency, { code: string; message: string }> = {
  queue: {
    code: 'queue_unavailable',
    message: 'the job queue (NATS JetStream) is unavailable and did not confirm the request; retry later (re-sending the same upload is safe: duplicates are dropped)',
  },
  database: { code: 'database_unavailable', message: 'the database is unavailable; retry later' },
};

export const unavailable = (dependency: Dependency, retryAfterS: number) =>
  new ApiError(503, OUTAGE_MESSAGES[dependency].code, OUTAGE_MESSAGES[dependency].message, [], retryAfterS);

/** Unknown routes get the same JSON error shape as everything else. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/** The request's child logger (see request-log.ts), or the service's. */
export function requestLog(res: Response, fallback: Logger): Logger {
  return (res.locals.log as Logger | undefined) ?? fallback;
}

/**
 * Last middleware: ApiErrors as they are; body-parser failures (bad JSON,
 * too large) as 4xx; NATS or PostgreSQL outages as 503 with Retry-After;
 * anything else is our fault, logged with context, 500.
 */
export function errorHandler(log: Logger, opts: { retryAfterS: number }): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // Express' own contract: once the response started, only it can end the connection.
    if (res.headersSent) return next(err);
    const rlog = requestLog(res, log);
    let e: ApiError;
    const outage = err instanceof ApiError ? undefined : outageOf(err);
    if (err instanceof ApiError) e = err;
    else if (isBodyParserError(err)) {
      e =
        err.type === 'entity.too.large'
          ? new ApiError(413, 'payload_too_large', `request body exceeds ${err.limit} bytes`)
          : err.type === 'entity.parse.failed'
            ? new ApiError(400, 'invalid_json', `request body is not valid JSON: ${err.message}`)
            : new ApiError(err.status ?? 400, 'bad_request', err.message);
    } else if (outage) {
      rlog.warn({ err, dependency: outage, method: req.method, path: req.path }, 'dependency unavailable');
      e = unavailable(outage, opts.retryAfterS);
    } else {
      rlog.error({ err, method: req.method, path: req.path }, 'request failed');
      e = new ApiError(500, 'internal', 'internal error; the request may be retried');
    }
    if (e.status >= 500 && err instanceof ApiError) rlog.warn({ err, path: req.path }, 'request refused');
    if (e.retryAfterS !== undefined) res.set('Retry-After', String(e.retryAfterS));
    res.status(e.status).json({ error: { code: e.code, message: e.message, details: e.details } });
  };
}

function isBodyParserError(err: unknown): err is { type: string; status?: number; limit?: number; message: string } {
  return typeof err === 'object' && err !== null && 'type' in err && typeof (err as { type: unknown }).type === 'string' && 'expose' in err;
}
