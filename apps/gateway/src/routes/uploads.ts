import { Router } from 'express';
import type { GatewayDeps } from '../deps';
import { requestLog, unavailable } from '../errors';
import { enqueueUpload } from '../ingest/enqueue-upload';
import type { GatewayMetrics } from '../metrics';
import { validateUpload } from '../validation';
import { asinOf, asinParam } from './params';

/**
 * POST /v1/products/:asin/reviews — validate the whole upload, publish it to
 * INGEST, answer 202 once JetStream acknowledged every part (seed 004: the
 * API only enqueues; ingest-svc stores).
 */
export function uploadRoutes(deps: GatewayDeps, metrics: GatewayMetrics): Router {
  const router = Router();
  router.param('asin', asinParam);

  router.post('/v1/products/:asin/reviews', async (req, res) => {
    const asin = asinOf(req);
    const upload = validateUpload(req.body);
    // Known outage: refuse now rather than make the client wait out the PubAck timeout.
    if (!deps.nats.connected) throw unavailable('queue', deps.settings.retryAfterS);
    const result = await enqueueUpload(deps.js, asin, upload, {
      limits: deps.settings.partLimits,
      timeoutMs: deps.settings.publishTimeoutMs,
    });
    metrics.reviewsAccepted.inc(result.accepted);
    metrics.partsPublished.inc({ result: 'stored' }, result.parts - result.duplicateParts);
    metrics.partsPublished.inc({ result: 'duplicate' }, result.duplicateParts);
    requestLog(res, deps.log).info({ asin, ...result }, 'upload enqueued');
    res.status(202).json(result);
  });

  return router;
}
