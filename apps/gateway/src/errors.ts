import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@voc/service-kit';

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
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** Unknown routes get the same JSON error shape as everything else. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/**
 * Last middleware: ApiErrors as they are; body-parser failures (bad JSON,
 * too large) as 4xx; anything else is our fault, logged with context, 500.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (isBodyParserError(err)) {
      e =
        err.type === 'entity.too.large'
          ? new ApiError(413, 'payload_too_large', `request body exceeds ${err.limit} bytes`)
          : err.type === 'entity.parse.failed'
            ? new ApiError(400, 'invalid_json', `request body is not valid JSON: ${err.message}`)
            : new ApiError(err.status ?? 400, 'bad_request', err.message);
    } else {
      log.error({ err, method: req.method, path: req.path }, 'request failed');
      e = new ApiError(500, 'internal', 'internal error; the request may be retried');
    }
    if (e.status >= 500 && err instanceof ApiError) log.error({ err, path: req.path }, 'request failed');
    res.status(e.status).json({ error: { code: e.code, message: e.message, details: e.details } });
  };
}

function isBodyParserError(err: unknown): err is { type: string; status?: number; limit?: number; message: string } {
  return typeof err === 'object' && err !== null && 'type' in err && typeof (err as { type: unknown }).type === 'string' && 'expose' in err;
}
