import type { RequestHandler } from 'express';
import { keyOf } from '../auth';
import type { KeyLimits } from '../keys/key-limits';
import type { GatewayMetrics } from '../metrics';
import { limited } from '../routes/limited';
import { phaseTimer } from './phase-timer';

/**
 * One token of the key's bucket per request (one Redis script call), else
 * 429 `rate_limited` with Retry-After.
 *
 * A key with tokens to spare does not wait for that call: when this
 * replica's last answer for the key (less than HINT_MAX_AGE_MS ago) left at
 * least HEADROOM tokens more than the requests it has sent since, Redis will
 * grant this one too (a bucket only refills), so the request goes on at once
 * and the token is taken alongside; the answer updates the count. bench:gateway
 * showed the round trip, on a busy machine, as a share of every upload's
 * latency. A key near or over its limit, or not seen lately, waits for the
 * answer before its body is read, so a flooding key costs the gateway only a
 * header parse and a script call, and is refused exactly. With several
 * replicas, a key can exceed its bucket by what the other replicas took from
 * it within one round trip (the spare HEADROOM - 1 tokens absorb some).
 */
const HEADROOM = 2;
/** Past this, a key's last answer is not trusted (another replica may have emptied the bucket since). */
const HINT_MAX_AGE_MS = 1000;
/** Keys whose last answer this replica remembers (keys are configured, but bounded anyway). */
const MAX_HINTS = 10_000;

interface Hint {
  /** Tokens left at the last answer. */
  tokens: number;
  at: number;
  /** Requests sent to Redis and not answered yet. */
  outstanding: number;
}

export function keyRateLimit(limits: KeyLimits, metrics: GatewayMetrics): RequestHandler {
  const hints = new Map<string, Hint>();
  return (req, res, next) => {
    const key = keyOf(res);
    const timer = phaseTimer(res);
    let hint = hints.get(key.id);
    if (!hint) {
      if (hints.size >= MAX_HINTS) hints.clear();
      hint = { tokens: 0, at: 0, outstanding: 0 };
      hints.set(key.id, hint);
    }
    const h = hint;
    const spare = Date.now() - h.at <= HINT_MAX_AGE_MS && h.tokens - h.outstanding >= HEADROOM;
    h.outstanding++;
    const decision = limits.takeRequest(key.id).then((d) => {
      h.outstanding--;
      if (d.tokensLeft !== undefined) {
        h.tokens = d.tokensLeft;
        h.at = Date.now();
      }
      return d;
    });
    if (spare) {
      timer.mark('limit');
      return next();
    }
    decision.then(
      (d) => {
        if (d.allowed) {
          timer.mark('limit');
          return next();
        }
        // An unread body would otherwise have to be drained from the connection.
        if (req.get('content-length') !== undefined || req.get('transfer-encoding') !== undefined) res.set('Connection', 'close');
        next(limited(metrics, key.id, 'rate_limited', d.retryAfterS, `this key may send ${limits.settings.rps} requests per second (burst ${limits.settings.burst}); retry after ${d.retryAfterS} s`));
      },
      (err: unknown) => next(err),
    );
  };
}
