import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '@voc/service-kit';
import { ApiError } from './errors';
import type { ApiKey } from './keys/api-keys';

/** The key that authenticated this request (set by bearerAuth). */
export function keyOf(res: Response): ApiKey {
  const key = res.locals.apiKey as ApiKey | undefined;
  if (!key) throw new Error('keyOf: route mounted before bearerAuth');
  return key;
}

/**
 * Bearer-key auth (C4). The given value is hashed and looked up among the
 * keys' SHA-256 digests, then compared with timingSafeEqual: what timing could
 * reveal is about a hash, not the secret. On success the request's logger
 * carries the key's id (never the secret).
 */
export function bearerAuth(keys: readonly ApiKey[]): RequestHandler {
  if (keys.length === 0) throw new Error('bearerAuth: at least one key is required');
  const byDigest = new Map(keys.map((k) => [k.digest, k]));
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S{1,512})$/i.exec(header);
    if (!m) return next(new ApiError('unauthorized', 'missing "Authorization: Bearer <key>" header'));
    const given = createHash('sha256').update(m[1]!).digest();
    const key = byDigest.get(given.toString('hex'));
    if (!key || !timingSafeEqual(Buffer.from(key.digest, 'hex'), given)) return next(new ApiError('unauthorized', 'invalid API key'));
    res.locals.apiKey = key;
    const log = res.locals.log as Logger | undefined;
    if (log) res.locals.log = log.child({ keyId: key.id });
    next();
  };
}
