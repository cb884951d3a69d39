import type { RequestHandler } from 'express';
import { keyOf } from '../auth';
import type { KeyLimits } from '../keys/key-limits';
import type { GatewayMetrics } from '../metrics';
import { limited } from '../routes/limited';

/**
 * After auth, before any body is read: one token of the key's bucket per
 * request (one Redis round trip), else 429 `rate_limited` with Retry-After.
 * A flooding key so costs the gateway a header parse and a script call.
 */
export function keyRateLimit(limits: KeyLimits, metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    const key = keyOf(res);
    limits.takeRequest(key.id).then(
      (d) => {
        if (d.allowed) return next();
        // An unread body would otherwise have to be drained from the connection.
        if (req.get('content-length') !== undefined || req.get('transfer-encoding') !== undefined) res.set('Connection', 'close');
        next(limited(metrics, key.id, 'rate_limited', d.retryAfterS, `this key may send ${limits.settings.rps} requests per second (burst ${limits.settings.burst}); retry after ${d.retryAfterS} s`));
      },
      (err: unknown) => next(err),
    );
  };
}
