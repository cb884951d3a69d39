import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { PrismaClient } from '@voc/db';
import { createRateLimiters } from '@voc/rate-limiter';
import type { ServiceContext } from '@voc/service-kit';
import { useDb, useNats, useRedis } from '@voc/worker';
import { mountGateway } from './app';
import type { GatewayConfig } from './config';
import type { GatewayDeps, LimiterStatsSource } from './deps';
import { trackNatsLink } from './nats-link';

export interface RunningGateway {
  deps: GatewayDeps;
  nc: NatsConnection;
  db: PrismaClient;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * runService's `start` for the gateway: connect PostgreSQL, Redis and NATS
 * (each registers its readiness check and closer), then mount the API on the
 * service's express app, next to /healthz, /readyz and /metrics.
 */
export async function startGateway(ctx: ServiceContext, cfg: GatewayConfig): Promise<RunningGateway> {
  const db = useDb(ctx, cfg);
  const redis = useRedis(ctx, cfg.REDIS_URL);
  const { nc, js, jsm } = await useNats(ctx, cfg);

  const maxPayload = nc.info?.max_payload;
  if (maxPayload !== undefined && cfg.GATEWAY_INGEST_PART_BYTES > maxPayload) {
    throw new Error(
      `GATEWAY_INGEST_PART_BYTES (${cfg.GATEWAY_INGEST_PART_BYTES}) exceeds the NATS server's max_payload (${maxPayload}); lower it or raise max_payload`,
    );
  }

  // Stats only (GET /v1/queues): this process never acquires.
  const limiters = createRateLimiters(redis, cfg.limiter.limits, { log: ctx.log });
  ctx.onShutdown('limiters', () => limiters.close());
  const limiterStats: LimiterStatsSource = { primaryKey: cfg.limiter.model, stats: () => limiters.stats() };

  const deps: GatewayDeps = {
    log: ctx.log,
    registry: ctx.registry,
    db,
    js,
    jsm,
    nats: trackNatsLink(nc),
    limiters: limiterStats,
    pipelineSettings: cfg.pipeline,
    isStopping: () => ctx.stopping,
    settings: {
      apiKeys: cfg.GATEWAY_API_KEYS,
      bodyLimitBytes: cfg.GATEWAY_BODY_LIMIT,
      partLimits: { maxReviews: cfg.GATEWAY_INGEST_PART_REVIEWS, maxBytes: cfg.GATEWAY_INGEST_PART_BYTES },
      publishTimeoutMs: cfg.GATEWAY_PUBLISH_TIMEOUT_MS,
      retryAfterS: cfg.GATEWAY_RETRY_AFTER_S,
    },
  };
  const inFlight = mountGateway(ctx.app, deps);
  // Registered last, so it runs first on SIGTERM: running requests finish
  // (an upload gets its PubAck) before NATS and PostgreSQL are closed.
  ctx.onShutdown('in-flight requests', async () => {
    const left = await inFlight.drain(cfg.SHUTDOWN_TIMEOUT_MS);
    if (left > 0) ctx.log.warn({ left }, 'shutting down with requests still running');
  });
  ctx.log.info(
    {
      keys: cfg.GATEWAY_API_KEYS.length,
      bodyLimit: cfg.GATEWAY_BODY_LIMIT,
      partReviews: cfg.GATEWAY_INGEST_PART_REVIEWS,
      partBytes: cfg.GATEWAY_INGEST_PART_BYTES,
      limiterKeys: Object.keys(cfg.limiter.limits),
    },
    'gateway ready',
  );
  return { deps, nc, db, js, jsm };
}
