/**
 * @voc/messaging: the JetStream work queues of the pipeline. Public API:
 * queue definitions and job schemas, provisioning, publishing, the bounded
 * consumer runner and its error classes, queue stats, and the dead-letter
 * tools. What only tests need is in `@voc/messaging/testing`.
 */
export { QUEUES, type ConsumerSettings, type QueueDefinition, type QueueName } from './queues';
export type {
  IngestJob,
  InsightJob,
  Jobs,
  LearningJob,
  LearningReason,
  ReportJob,
  ReviewCategory,
  ReviewInput,
  ThemeJob,
  TranslateJob,
} from './jobs';
export { InvalidJobError, JS_ERR, PermanentError, PublishError, TransientError, jsErrorCode } from './errors';
export { ensureConsumer, ensureStreams, type ConsumerOverrides, type EnsureConsumerOptions, type StreamOptions } from './provision';
export { connectNats, type ConnectNatsOptions, type MessagingLogger } from './connection';
export { publish, type PublishOptions, type PublishResult } from './publisher';
export {
  createConsumerRunner,
  type BackupOptions,
  type ConsumerRunner,
  type HandlerContext,
  type JobHandler,
  type RunnerOptions,
  type RunnerStats,
} from './runner';
export { queueStats, type AllQueueStats, type ConsumerStats, type QueueStats } from './stats';
// No caller yet: the dead-letter CLI of the fault-tolerance issue (`npm run dlq`) is their entry point.
export { listDeadLetters, requeueDeadLetter, type DeadLetterEntry, type RequeueResult } from './dlq';
