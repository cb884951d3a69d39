import type { Express } from 'express';
import { bearerAuth } from './auth';
import type { GatewayDeps } from './deps';
import { errorHandler, unknownRoute } from './errors';
import { InFlightRequests } from './middleware/drain';
import { BodyBudget, jsonBody } from './middleware/json-body';
import { keyRateLimit } from './middleware/key-rate-limit';
import { requestLogging } from './middleware/request-log';
import { docsRoutes } from './routes/docs';
import { keyRoutes } from './routes/keys';
import { productRoutes } from './routes/products';
import { queueRoutes } from './routes/queues';
import { usageRoutes } from './routes/usage';
import { reportRoutes } from './routes/reports';
import { uploadReadiness } from './routes/upload-readiness';
import { uploadRoutes } from './routes/uploads';

/**
 * Mounts the gateway on an express app that already serves /healthz and
 * /readyz (runService does that; /metrics is on its own port). Order matters:
 * public docs and upload readiness, then auth, then the key's rate limit (so
 * nobody unauthenticated or near their limit makes us read a body; a key with
 * tokens to spare does not wait for Redis), then the bounded JSON body
 * reader, the routes, and the error handler. Returns the
 * in-flight tracker so shutdown can let running requests finish.
 */
export function mountGateway(app: Express, deps: GatewayDeps): InFlightRequests {
  const { settings, metrics } = deps;
  const inFlight = new InFlightRequests();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogging(deps.log, metrics));
  app.use(inFlight.middleware(deps.isStopping, settings.retryAfterS));
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    next();
  });
  app.use(docsRoutes(), uploadReadiness(deps));
  app.use(bearerAuth(deps.keys), keyRateLimit(deps.keyLimits, metrics));
  app.use(jsonBody(settings.body, new BodyBudget(settings.body.budgetBytes, metrics), metrics));
  // Routers carry full paths (/v1/…) so the route template in logs and metrics is complete.
  app.use(uploadRoutes(deps), productRoutes(deps), reportRoutes(deps), queueRoutes(deps), usageRoutes(deps), keyRoutes(deps));
  app.use(unknownRoute);
  app.use(errorHandler(deps.log, { retryAfterS: settings.retryAfterS }));
  return inFlight;
}
