/**
 * Reading request bodies, bounded three ways so that memory stays flat
 * whatever clients send:
 *   - one body: at most `maxBytes` (413 before reading when Content-Length says so);
 *   - all bodies together: at most `budgetBytes` reserved at once (a body
 *     reserves its Content-Length, or `maxBytes` when chunked, until its
 *     response ends); beyond it 503 `server_busy` with Retry-After;
 *   - shape: valid UTF-8, JSON nested at most `maxDepth` deep, an object or array.
 * Every refusal says what was wrong with a code from the error table.
 */
import { isUtf8 } from 'node:buffer';
import type { Request, RequestHandler, Response } from 'express';
import { ApiError } from '../errors';
import type { GatewayMetrics } from '../metrics';
import { phaseTimer } from './phase-timer';

export interface BodyLimits {
  maxBytes: number;
  budgetBytes: number;
  maxDepth: number;
  /** Retry-After of a `server_busy` refusal. */
  busyRetryAfterS: number;
}

const MB = 1024 * 1024;
const mb = (n: number) => `${(n / MB).toFixed(n < 10 * MB ? 1 : 0)} MB`;

function tooLarge(limits: BodyLimits, bytes: number | undefined): ApiError {
  const parts = bytes === undefined ? 'several' : `at least ${Math.ceil(bytes / limits.maxBytes)}`;
  return new ApiError(
    'payload_too_large',
    `the request body${bytes === undefined ? '' : ` (${bytes} bytes)`} is over the ${limits.maxBytes}-byte limit (${mb(limits.maxBytes)}): ` +
      `split the reviews into ${parts} uploads of at most ${mb(limits.maxBytes)} each (1,000 reviews of typical length take about 0.3 MB)`,
    [{ field: 'body', message: `at most ${limits.maxBytes} bytes` }],
  );
}

/** True when the JSON text opens more than `max` arrays/objects at once (strings skipped). */
export function nestsDeeperThan(buf: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Parses a complete body: UTF-8, depth, JSON, object or array. */
export function parseJsonBody(buf: Buffer, maxDepth: number): unknown {
  if (!isUtf8(buf)) throw new ApiError('invalid_encoding', 'the request body is not valid UTF-8', [{ field: 'body', message: 'invalid UTF-8' }]);
  if (nestsDeeperThan(buf, maxDepth)) {
    throw new ApiError('json_too_deep', `the JSON nests deeper than ${maxDepth} levels`, [{ field: 'body', message: `at most ${maxDepth} levels` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new ApiError('invalid_json', `the request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (value === null || typeof value !== 'object') throw new ApiError('invalid_json', 'the request body must be a JSON object');
  return value;
}

/** Request bodies reserved at once, bounded. */
export class BodyBudget {
  private used = 0;
  constructor(
    readonly capacity: number,
    private readonly metrics?: GatewayMetrics,
  ) {}
  get inUse(): number {
    return this.used;
  }
  tryTake(n: number): boolean {
    if (this.used + n > this.capacity) return false;
    this.used += n;
    this.metrics?.bodyBytesInFlight.set(this.used);
    return true;
  }
  give(n: number): void {
    this.used -= n;
    this.metrics?.bodyBytesInFlight.set(this.used);
  }
}

/** Refuses without reading the body: the connection is closed after the answer, so nothing more is read from it. */
function refuseUnread(res: Response, err: ApiError): ApiError {
  res.set('Connection', 'close');
  return err;
}

const hasBody = (req: Request) => req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;

export function jsonBody(limits: BodyLimits, budget: BodyBudget, metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req)) return next();
    // A form post or text/plain is refused instead of being read as "no body".
    const charset = /charset=([^;\s]+)/i.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (!req.is('application/json') || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
      return next(
        refuseUnread(res, new ApiError('unsupported_media_type', `expected Content-Type: application/json (UTF-8), got '${(req.get('content-type') ?? '(none)').slice(0, 100)}'`)),
      );
    }
    const declared = req.get('content-length') === undefined ? undefined : Number(req.get('content-length'));
    if (declared !== undefined && declared > limits.maxBytes) {
      metrics.bodiesRefused.inc({ reason: 'too_large' });
      return next(refuseUnread(res, tooLarge(limits, declared)));
    }
    const reserved = declared ?? limits.maxBytes;
    if (!budget.tryTake(reserved)) {
      metrics.bodiesRefused.inc({ reason: 'busy' });
      return next(refuseUnread(res, new ApiError('server_busy', 'too many request bodies are being read at once; retry shortly', [], limits.busyRetryAfterS)));
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      budget.give(reserved);
    };
    res.once('finish', release);
    res.once('close', release);

    const timer = phaseTimer(res);
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const fail = (err: ApiError) => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      req.pause();
      next(refuseUnread(res, err));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limits.maxBytes) {
        metrics.bodiesRefused.inc({ reason: 'too_large' });
        return fail(tooLarge(limits, undefined));
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      done = true;
      timer.mark('read');
      try {
        req.body = parseJsonBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total), limits.maxDepth);
      } catch (err) {
        return next(err);
      }
      timer.mark('parse');
      next();
    });
    // The client went away mid-body: nobody is left to answer; the 'close' above releases the reservation.
    req.once('error', () => {
      done = true;
    });
  };
}
