import { Router } from 'express';
import type { JetStreamManager } from 'nats';
import { QUEUES } from '@voc/messaging';
import type { NatsLink } from '../nats-link';

const CHECK_TIMEOUT_MS = 2000;

/**
 * GET /readyz/uploads — "can this gateway accept uploads?" for a load
 * balancer's health check. Uploads need only NATS (JetStream stores them;
 * PostgreSQL and Redis are optional on that path), so this is ready while
 * the instance is not shutting down and JetStream answers for INGEST. `/readyz`
 * keeps checking every dependency (the read endpoints need PostgreSQL).
 */
export function uploadReadiness(opts: { nats: NatsLink; jsm: JetStreamManager; isStopping: () => boolean }): Router {
  const router = Router();
  router.get('/readyz/uploads', async (_req, res) => {
    if (opts.isStopping()) {
      res.status(503).json({ ready: false, reason: 'shutting down' });
      return;
    }
    if (!opts.nats.connected) {
      res.status(503).json({ ready: false, reason: 'NATS disconnected' });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        opts.jsm.streams.info(QUEUES.INGEST.stream),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`JetStream: no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS))),
      ]);
      res.json({ ready: true, checks: [{ name: 'jetstream', ok: true }] });
    } catch (err) {
      res.status(503).json({ ready: false, checks: [{ name: 'jetstream', ok: false, error: (err as Error).message }] });
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}
