import { z } from 'zod';
import { connectionEnv, env, serviceEnv } from '@voc/config';

/**
 * Settings every worker process reads (connections, identity, CONCURRENCY).
 * Fields without a default here take it from the service's SERVICES entry
 * (startWorker loads them with loadServiceConfig).
 */
export const workerEnv = {
  ...connectionEnv,
  ...serviceEnv,
  /** JetStream stream replicas: 1 on one host, 3 on a three-node cluster. */
  NATS_REPLICAS: env.int(1, 1, 5),
  /** Messages one process holds at once (seed 000's per-worker concurrency). */
  CONCURRENCY: env.int(undefined, 1, 1000),
};

export const workerSchema = z.object(workerEnv);
export type WorkerConfig = z.infer<typeof workerSchema>;
