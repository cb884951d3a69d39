import express, { type RequestHandler } from 'express';
import { ApiError } from '../errors';

/**
 * A request that carries a body must say it is JSON: 415 otherwise, so a
 * form post or text/plain is refused instead of being read as "no body".
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  // Content-Length: 0 is what many clients send with a bodyless POST (learn, reports).
  const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    return next(
      new ApiError(415, 'unsupported_media_type', `expected Content-Type: application/json, got '${req.get('content-type') ?? '(none)'}'`),
    );
  }
  next();
};

/** The JSON parser: objects and arrays only, at most `limitBytes`; its errors become 400/413 in errors.ts. */
export const jsonBody = (limitBytes: number): RequestHandler => express.json({ limit: limitBytes, strict: true, type: 'application/json' });
