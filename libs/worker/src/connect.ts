import Redis from 'ioredis';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { createDbClient, type PrismaClient } from '@voc/db';
import { connectNats, ensureStreams } from '@voc/messaging';
import type { ServiceContext } from '@voc/service-kit';
import { redisConnectionOptions } from '@voc/service-kit/redis-url';
import { retryStartup } from './retry';

export interface NatsDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * Connects to NATS, provisions the streams (idempotent, so whichever process
 * starts first creates them), and registers readiness and shutdown.
 */
export async function useNats(
  ctx: ServiceContext,
  cfg: { NATS_URL: string; NATS_USER?: string; NATS_PASSWORD?: string; NATS_REPLICAS: number },
): Promise<NatsDeps> {
  const nc = await connectNats({
    url: cfg.NATS_URL,
    user: cfg.NATS_USER,
    password: cfg.NATS_PASSWORD,
    name: `${ctx.name}@${process.env.NODE_NAME ?? 'local'}`,
    log: ctx.log,
  });
  const jsm = await nc.jetstreamManager();
  await retryStartup('provisioning streams', () => ensureStreams(jsm, { replicas: cfg.NATS_REPLICAS }), ctx.log);
  ctx.addCheck({ name: 'nats', check: async () => { if (nc.isClosed()) throw new Error('connection closed'); await nc.flush(); } });
  // Drain flushes what this process published before closing.
  ctx.onShutdown('nats', () => nc.drain());
  return { nc, js: nc.jetstream(), jsm };
}

export function useRedis(ctx: ServiceContext, url: string): Redis {
  const redis = new Redis({ ...redisConnectionOptions(url),
    // Commands wait for a reconnect instead of failing at once; the limiter
    // decides what to do while Redis is away.
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: ctx.name,
  });
  redis.on('error', (err) => ctx.log.warn({ err: err.message }, 'redis connection error'));
  ctx.addCheck({ name: 'redis', check: () => redis.ping() });
  ctx.onShutdown('redis', () => redis.quit());
  return redis;
}

export function useDb(ctx: ServiceContext, cfg: { DATABASE_URL: string; DB_POOL_SIZE: number }): PrismaClient {
  const db = createDbClient({ url: cfg.DATABASE_URL, poolSize: cfg.DB_POOL_SIZE, log: ctx.log, applicationName: ctx.name });
  ctx.addCheck({ name: 'postgres', check: () => db.$queryRaw`SELECT 1` });
  ctx.onShutdown('postgres', () => db.$disconnect());
  return db;
}
