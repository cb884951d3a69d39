import express from 'express';
import type { AddressInfo } from 'node:net';
import { errorHandler } from '../src/errors';
import { createLogger } from '@voc/service-kit';
import { InFlightRequests } from '../src/middleware/drain';

describe('InFlightRequests', () => {
  it('lets running requests finish before drain resolves, and refuses new ones while stopping', async () => {
    let stopping = false;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const inFlight = new InFlightRequests();
    const app = express();
    app.use(inFlight.middleware(() => stopping, 3));
    app.get('/slow', async (_req, res) => {
      await released;
      res.json({ done: true });
    });
    app.use(errorHandler(createLogger('drain-test', 'silent'), { retryAfterS: 3 }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const slow = fetch(`${base}/slow`);
      while (inFlight.count === 0) await new Promise((r) => setTimeout(r, 10));
      stopping = true;
      let drained = false;
      const drain = inFlight.drain(30_000).then((left) => {
        drained = true;
        return left;
      });
      const refused = await fetch(`${base}/slow`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('3');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
      expect(drained).toBe(false);
      release();
      expect((await slow).status).toBe(200);
      expect(await drain).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('gives up after the timeout and reports what is still running', async () => {
    const inFlight = new InFlightRequests();
    const app = express();
    app.use(inFlight.middleware(() => false, 1));
    app.get('/hang', () => undefined);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      void fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`).catch(() => undefined);
      while (inFlight.count === 0) await new Promise((r) => setTimeout(r, 10));
      expect(await inFlight.drain(50)).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
