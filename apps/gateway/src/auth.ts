import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-key auth (C4). Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither length nor content leaks through timing.
 */
export function bearerAuth(keys: string[]): RequestHandler {
  if (keys.length === 0) throw new Error('GATEWAY_API_KEYS: at least one key is required');
  const digests = keys.map(digest);
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return next(new ApiError(401, 'unauthorized', 'missing "Authorization: Bearer <key>" header'));
    const given = digest(m[1]!);
    // Check every key (no early exit) to keep timing independent of which matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) return next(new ApiError(401, 'unauthorized', 'invalid API key'));
    next();
  };
}
