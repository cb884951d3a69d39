import type { Express } from 'express';
import { bearerAuth } from './auth';
import type { GatewayDeps } from './deps';
import { errorHandler, unknownRoute } from './errors';
import { createGatewayMetrics } from './metrics';
import { InFlightRequests } from './middleware/drain';
import { jsonBody, requireJsonBody } from './middleware/json-body';
import { requestLogging } from './middleware/request-log';
import { docsRoutes } from './routes/docs';
import { productRoutes } from './routes/products';
import { queueRoutes } from './routes/queues';
import { usageRoutes } from './routes/usage';
import { reportRoutes } from './routes/reports';
import { uploadRoutes } from './routes/uploads';

/**
 * Mounts the gateway on an express app that already serves /healthz, /readyz
 * and /metrics (runService does that). Order matters: public docs, then auth
 * (so nobody unauthenticated makes us parse a 16 MB body), then the
 * content-type check and the JSON parser, the routes, and the error handler.
 * Returns the in-flight tracker so shutdown can let running requests finish.
 */
export function mountGateway(app: Express, deps: GatewayDeps): InFlightRequests {
  const { settings } = deps;
  const metrics = createGatewayMetrics(deps.registry);
  const inFlight = new InFlightRequests();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLogging(deps.log, metrics));
  app.use(inFlight.middleware(deps.isStopping, settings.retryAfterS));
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    next();
  });
  app.use(docsRoutes());
  app.use(bearerAuth(settings.apiKeys));
  app.use(requireJsonBody, jsonBody(settings.bodyLimitBytes));
  // Routers carry full paths (/v1/…) so the route template in logs and metrics is complete.
  app.use(uploadRoutes(deps, metrics), productRoutes(deps), reportRoutes(deps), queueRoutes(deps), usageRoutes(deps));
  app.use(unknownRoute);
  app.use(errorHandler(deps.log, { retryAfterS: settings.retryAfterS }));
  return inFlight;
}
