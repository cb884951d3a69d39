export { workerEnv, workerSchema, type WorkerConfig } from './config';
export { useDb, useNats, useRedis, type NatsDeps } from './connect';
export { UsageRecorder } from './usage';
export { runWorker, startWorker, type BackgroundTask, type ConsumerSpec, type WorkerDeps, type WorkerSpec } from './worker';
