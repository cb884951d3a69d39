/**
 * @voc/worker: how a worker service runs (runWorker), the connection helpers
 * the gateway shares, and the worker's settings schema (for the doctor). The
 * start-up test every service app runs is `@voc/worker/testing`.
 */
export { workerEnv, type WorkerConfig } from './config';
export { useDb, useNats, useRedis, type NatsDeps } from './connect';
export { runWorker, type BackgroundTask, type ConsumerSpec, type WorkerDeps, type WorkerSpec } from './worker';
