import { Router } from 'express';
import { keyOf } from '../auth';
import type { GatewayDeps } from '../deps';
import { notFound } from '../errors';
import { parseWebhookUrl } from '../webhooks/webhook-url';

/**
 * What a key may know about itself: its id, limits and usage
 * (GET /v1/keys/me), and its upload-completion webhook
 * (PUT/DELETE /v1/keys/me/webhook).
 */
export function keyRoutes(deps: GatewayDeps): Router {
  const router = Router();
  const { keyLimits, webhooks } = deps;

  router.get('/v1/keys/me', async (_req, res) => {
    const key = keyOf(res);
    const [usage, hook] = await Promise.all([keyLimits.usage(key.id), webhooks.get(key.id)]);
    const s = keyLimits.settings;
    res.json({
      keyId: key.id,
      limits: {
        requestsPerSecond: s.rps,
        burst: s.burst,
        reviewsPerDay: s.reviewsPerDay ?? null,
        learnCooldownS: s.learnCooldownS,
        reportCooldownS: s.reportCooldownS,
      },
      usage,
      webhook: hook ? { url: hook.url, updatedAt: hook.updatedAt.toISOString() } : null,
    });
  });

  router.put('/v1/keys/me/webhook', async (req, res) => {
    const key = keyOf(res);
    const url = parseWebhookUrl((req.body as { url?: unknown } | undefined)?.url, deps.settings.webhookAllowPrivate);
    const hook = await webhooks.set(key.id, url);
    res.json({ url: hook.url, updatedAt: hook.updatedAt.toISOString() });
  });

  router.delete('/v1/keys/me/webhook', async (_req, res) => {
    if (!(await webhooks.remove(keyOf(res).id))) throw notFound('webhook');
    res.status(204).end();
  });

  return router;
}
