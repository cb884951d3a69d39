import { connect, type NatsConnection } from 'nats';
import Redis from 'ioredis';
import { createDbClient, type PrismaClient } from '@voc/db';
import { applyMigrations } from '@voc/db/migrate';
import { startTestStack, type TestStack } from '@voc/local-stack';
import { decodeJob, ensureConsumer, ensureStreams, QUEUE_NAMES, QUEUES, type JobOf, type QueueName } from '@voc/messaging/testing';
import { createLogger } from '@voc/service-kit';
import type { PipelineDeps } from '../../src';
import { DEFAULT_PIPELINE_SETTINGS } from '../../src/settings';

export interface Env {
  stack: TestStack;
  db: PrismaClient;
  nc: NatsConnection;
  redis: Redis;
  deps: PipelineDeps;
  stop(): Promise<void>;
}

/** Real NATS + Redis + PostgreSQL, migrated, streams and consumers provisioned. */
export async function startEnv(): Promise<Env> {
  const stack = await startTestStack();
  await applyMigrations(stack.databaseUrl);
  const db = createDbClient({ url: stack.databaseUrl, poolSize: 4 });
  const nc = await connect({ servers: stack.natsUrl });
  const jsm = await nc.jetstreamManager();
  await ensureStreams(jsm);
  for (const q of QUEUE_NAMES) await ensureConsumer(jsm, q);
  const redis = new Redis(stack.redisUrl);
  const deps: PipelineDeps = { db, js: nc.jetstream(), log: createLogger('test', 'silent'), settings: DEFAULT_PIPELINE_SETTINGS, redis };
  return {
    stack,
    db,
    nc,
    redis,
    deps,
    async stop() {
      redis.disconnect();
      await nc.close();
      await db.$disconnect();
      await stack.stop();
    },
  };
}

/** Every job stored in a queue's stream, without consuming it. */
export async function jobsIn<Q extends QueueName>(nc: NatsConnection, queue: Q): Promise<JobOf<Q>[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(QUEUES[queue].stream);
  const out: JobOf<Q>[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    try {
      const m = await jsm.streams.getMessage(QUEUES[queue].stream, { seq });
      const d = decodeJob(queue, m.data);
      if (d.ok) out.push(d.job);
    } catch {
      // a deleted sequence (acked work): nothing to read there
    }
  }
  return out;
}

export const ago = (ms: number) => new Date(Date.now() - ms);
