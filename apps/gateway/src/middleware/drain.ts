import type { RequestHandler } from 'express';
import { ApiError } from '../errors';

/**
 * Counts requests in progress so shutdown can let them finish (an upload
 * waiting for its PubAck should get its 202) before NATS and PostgreSQL are
 * closed; requests arriving once shutdown began get 503 and go elsewhere.
 */
export class InFlightRequests {
  private active = 0;
  private idle: (() => void)[] = [];

  get count(): number {
    return this.active;
  }

  middleware(isStopping: () => boolean, retryAfterS: number): RequestHandler {
    return (_req, res, next) => {
      if (isStopping()) {
        res.set('Connection', 'close');
        return next(new ApiError('shutting_down', 'this gateway instance is shutting down; retry', [], retryAfterS));
      }
      this.active++;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        this.active--;
        if (this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
      };
      res.once('finish', end);
      res.once('close', end);
      next();
    };
  }

  /** Resolves once no request is in progress, or after `timeoutMs`; returns how many were still running. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.active === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    return this.active;
  }
}
