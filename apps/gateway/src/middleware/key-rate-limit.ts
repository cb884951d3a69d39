import type { RequestHandler, Response } from 'express';
import { keyOf } from '../auth';
import type { KeyLimits, LimitDecision } from '../keys/key-limits';
import type { GatewayMetrics } from '../metrics';
import { limited } from '../routes/limited';
import { phaseTimer } from './phase-timer';

/**
 * One token of the key's bucket per request (one Redis round trip), else 429
 * `rate_limited` with Retry-After. Two middlewares: `take` after auth asks
 * Redis, `admit` before the routes lets nothing through that the decision
 * has not allowed.
 *
 * The round trip overlaps the reading and parsing of the body when the key
 * had tokens to spare at its last answer on this replica (each request sent
 * since counted off): a key within its limits does not wait for Redis before
 * its body is read, which bench:gateway showed as a share of an upload's
 * latency on a busy machine. A key near or over its limit, or not seen yet,
 * waits for the decision before its body is read, so a flooding key still
 * costs the gateway only a header parse and a script call. The hint is only
 * about when to wait: every request is admitted by Redis' answer.
 */
export interface KeyRateLimit {
  take: RequestHandler;
  admit: RequestHandler;
}

/** Tokens the key must have had to spare for its next request to skip the wait (other replicas take from the same bucket). */
const OVERLAP_HEADROOM = 2;
/** Keys whose last answer this replica remembers (bounded: keys are configured, but ids come from outside). */
const MAX_HINTS = 10_000;

const PENDING = 'keyRateDecision';

export function keyRateLimit(limits: KeyLimits, metrics: GatewayMetrics): KeyRateLimit {
  const tokensLeft = new Map<string, number>();
  const refusal = (keyId: string, d: LimitDecision) =>
    limited(metrics, keyId, 'rate_limited', d.retryAfterS, `this key may send ${limits.settings.rps} requests per second (burst ${limits.settings.burst}); retry after ${d.retryAfterS} s`);

  const take: RequestHandler = (req, res, next) => {
    const key = keyOf(res);
    const timer = phaseTimer(res);
    const hint = tokensLeft.get(key.id);
    const decision = limits.takeRequest(key.id).then((d) => {
      if (d.tokensLeft !== undefined) {
        if (tokensLeft.size >= MAX_HINTS && !tokensLeft.has(key.id)) tokensLeft.clear();
        tokensLeft.set(key.id, d.tokensLeft);
      }
      return d;
    });
    if (hint !== undefined && hint >= OVERLAP_HEADROOM) {
      tokensLeft.set(key.id, hint - 1);
      (res.locals as Record<string, unknown>)[PENDING] = decision;
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
        next(refusal(key.id, d));
      },
      (err: unknown) => next(err),
    );
  };

  const admit: RequestHandler = (_req, res, next) => {
    const pending = pendingDecision(res);
    if (!pending) return next();
    pending.then(
      (d) => {
        if (!d.allowed) return next(refusal(keyOf(res).id, d));
        phaseTimer(res).mark('limit');
        next();
      },
      (err: unknown) => next(err),
    );
  };

  return { take, admit };
}

function pendingDecision(res: Response): Promise<LimitDecision> | undefined {
  return (res.locals as Record<string, unknown>)[PENDING] as Promise<LimitDecision> | undefined;
}
