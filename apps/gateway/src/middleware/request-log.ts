import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '@voc/service-kit';
import type { GatewayMetrics } from '../metrics';

/** A caller's X-Request-Id is kept when it is short and plain, so logs correlate across hops. */
const CALLER_ID = /^[\w.:-]{1,128}$/;

/** The route template that matched ("/v1/products/:asin"), or "unmatched". */
function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

/**
 * Gives every request an id (X-Request-Id, echoed in the response) and a
 * child logger (`res.locals.log`, which auth extends with the key id), and writes one line per request with its
 * status and duration when the response ends or the client goes away.
 */
export function requestLogging(log: Logger, metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const reqId = given && CALLER_ID.test(given) ? given : randomUUID();
    res.set('X-Request-Id', reqId);
    const base = log.child({ reqId });
    res.locals.log = base;
    const started = process.hrtime.bigint();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      const key = (res.locals.apiKey as { id: string } | undefined)?.id ?? 'none';
      // A response that never finished means the client hung up first.
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.requests.inc({ method: req.method, route, status: String(status), key });
      metrics.duration.observe({ method: req.method, route, key }, seconds);
      const line = { method: req.method, path: req.originalUrl.split('?')[0]!.slice(0, 200), route, status, durationMs: Math.round(seconds * 10_000) / 10 };
      // res.locals.log carries the key id once auth ran (auth.ts).
      const rlog = (res.locals.log as Logger | undefined) ?? base;
      if (status >= 500) rlog.warn(line, 'request');
      else rlog.info(line, 'request');
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
