import { once } from 'node:events';
import Redis from 'ioredis';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { PrismaClient } from '@voc/db';
import { createRateLimiters } from '@voc/rate-limiter';
import type { ServiceContext } from '@voc/service-kit';
import { useDb, useNats, useRedis } from '@voc/worker';
import { redisConnectionOptions } from '@voc/service-kit/redis-url';
import { mountGateway } from './app';
import type { GatewayConfig } from './config';
import type { GatewayDeps, LimiterStatsSource } from './deps';
import { UploadRecords } from './ingest/upload-records';
import { KeyLimits } from './keys/key-limits';
import { createGatewayMetrics } from './metrics';
import { trackNatsLink } from './nats-link';
import { WebhookDispatcher } from './webhooks/dispatcher';
import { KeyWebhooks } from './webhooks/key-webhooks';

export interface RunningGateway {
  deps: GatewayDeps;
  nc: NatsConnection;
  db: PrismaClient;
  js: JetStreamClient;
  jsm: JetStreamManager;
  webhooks: WebhookDispatcher;
}

/** JSON nesting the API ever needs is 4 (`{product:{bulletPoints:[…]}}`); 16 leaves room, and refuses abuse. */
const MAX_JSON_DEPTH = 16;
const KEY_LIMITS_CONNECT_MS = 3000;

/**
 * A Redis connection of its own for the per-key limits: a command fails at
 * once while Redis is away (no offline queue, no retries) or after
 * GATEWAY_KEY_LIMIT_TIMEOUT_MS, so the limits fail open without holding
 * requests (the limiter-stats connection instead waits for a reconnect).
 */
async function keyLimitsRedis(ctx: ServiceContext, cfg: GatewayConfig): Promise<Redis> {
  // redis+sentinel:// as well as redis:// (the high-availability compose sets ask the Sentinels).
  const redis = new Redis({
    ...redisConnectionOptions(cfg.REDIS_URL),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: cfg.GATEWAY_KEY_LIMIT_TIMEOUT_MS,
    connectionName: `${ctx.name}-key-limits`,
  });
  // KeyLimits logs the state change; the connection's own retries would only repeat it.
  redis.on('error', () => undefined);
  ctx.onShutdown('redis (key limits)', () => redis.quit().catch(() => redis.disconnect()));
  // Without an offline queue, commands fail until the connection is up: give it a moment
  // at start-up so the first requests are limited; a Redis that is down only means fail open.
  if (redis.status !== 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([once(redis, 'ready'), new Promise((r) => (timer = setTimeout(r, KEY_LIMITS_CONNECT_MS)))]);
    clearTimeout(timer);
  }
  return redis;
}

/**
 * runService's `start` for the gateway: connect PostgreSQL, Redis and NATS
 * (each registers its readiness check and closer), then mount the API on the
 * service's express app, next to /healthz and /readyz.
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

  const metrics = createGatewayMetrics(ctx.registry);
  const keyLimits = new KeyLimits(
    await keyLimitsRedis(ctx, cfg),
    {
      rps: cfg.GATEWAY_KEY_RPS,
      burst: Math.max(1, Math.round(cfg.GATEWAY_KEY_RPS * 2)),
      reviewsPerDay: cfg.GATEWAY_KEY_REVIEWS_PER_DAY,
      learnCooldownS: cfg.GATEWAY_LEARN_COOLDOWN_S,
      reportCooldownS: cfg.GATEWAY_REPORT_COOLDOWN_S,
    },
    ctx.log,
    metrics,
  );
  const webhooks = new KeyWebhooks(db);
  await webhooks.refresh().catch((err: unknown) => ctx.log.warn({ err }, 'webhooks not loaded yet (PostgreSQL?); the dispatcher retries'));

  const uploadRecords = new UploadRecords(db, ctx.log);
  // Before PostgreSQL closes (closers run last-registered first; the drain is registered later still).
  ctx.onShutdown('upload records', () => uploadRecords.flush());
  const deps: GatewayDeps = {
    log: ctx.log,
    registry: ctx.registry,
    metrics,
    db,
    js,
    jsm,
    nats: trackNatsLink(nc),
    nc,
    limiters: limiterStats,
    keys: cfg.keys,
    keyLimits,
    webhooks,
    uploadRecords,
    pipelineSettings: cfg.pipeline,
    isStopping: () => ctx.stopping,
    settings: {
      body: { maxBytes: cfg.GATEWAY_BODY_LIMIT, budgetBytes: cfg.GATEWAY_BODY_BUDGET, maxDepth: MAX_JSON_DEPTH, busyRetryAfterS: 1 },
      partLimits: { maxReviews: cfg.GATEWAY_INGEST_PART_REVIEWS, maxBytes: cfg.GATEWAY_INGEST_PART_BYTES },
      publishTimeoutMs: cfg.GATEWAY_PUBLISH_TIMEOUT_MS,
      retryAfterS: cfg.GATEWAY_RETRY_AFTER_S,
      webhookAllowPrivate: cfg.GATEWAY_WEBHOOK_ALLOW_PRIVATE,
    },
  };
  const dispatcher = new WebhookDispatcher(
    db,
    webhooks,
    cfg.keys,
    { pollMs: cfg.GATEWAY_WEBHOOK_POLL_MS, maxAttempts: cfg.GATEWAY_WEBHOOK_MAX_ATTEMPTS, timeoutMs: cfg.GATEWAY_WEBHOOK_TIMEOUT_MS, allowPrivate: cfg.GATEWAY_WEBHOOK_ALLOW_PRIVATE },
    ctx.log,
    metrics,
  );
  dispatcher.start();
  ctx.onShutdown('webhooks', () => dispatcher.stop());
  const inFlight = mountGateway(ctx.app, deps);
  // Registered last, so it runs first on SIGTERM: running requests finish
  // (an upload gets its PubAck) before NATS and PostgreSQL are closed.
  ctx.onShutdown('in-flight requests', async () => {
    const left = await inFlight.drain(cfg.SHUTDOWN_TIMEOUT_MS);
    if (left > 0) ctx.log.warn({ left }, 'shutting down with requests still running');
  });
  ctx.log.info(
    {
      keys: cfg.keys.map((k) => k.id),
      keyRps: cfg.GATEWAY_KEY_RPS,
      keyReviewsPerDay: cfg.GATEWAY_KEY_REVIEWS_PER_DAY ?? 'unlimited',
      bodyLimit: cfg.GATEWAY_BODY_LIMIT,
      bodyBudget: cfg.GATEWAY_BODY_BUDGET,
      partReviews: cfg.GATEWAY_INGEST_PART_REVIEWS,
      partBytes: cfg.GATEWAY_INGEST_PART_BYTES,
      limiterKeys: Object.keys(cfg.limiter.limits),
    },
    'gateway ready',
  );
  return { deps, nc, db, js, jsm, webhooks: dispatcher };
}
