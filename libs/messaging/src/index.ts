export {
  QUEUE_NAMES,
  QUEUES,
  DLQ,
  isQueueName,
  queueOfStream,
  queueOfDlqSubject,
  type QueueName,
  type QueueDefinition,
  type ConsumerSettings,
} from './queues';
export {
  ReviewInputSchema,
  IngestJobSchema,
  TranslateJobSchema,
  LearningJobSchema,
  InsightJobSchema,
  ThemeJobSchema,
  ReportJobSchema,
  JOB_SCHEMAS,
  REVIEW_CATEGORIES,
  LEARNING_REASONS,
  validateJob,
  decodeJob,
  type ReviewInput,
  type IngestJob,
  type TranslateJob,
  type LearningJob,
  type InsightJob,
  type ThemeJob,
  type ReportJob,
  type ReviewCategory,
  type LearningReason,
  type Jobs,
  type JobOf,
  type DecodeResult,
} from './jobs';
export {
  TransientError,
  PermanentError,
  InvalidJobError,
  PublishError,
  errorMessage,
  jsErrorCode,
  JS_ERR,
} from './errors';
export {
  ensureStreams,
  ensureConsumer,
  streamConfigs,
  consumerConfig,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type StreamOptions,
  type ConsumerOverrides,
  type EnsureConsumerOptions,
} from './provision';
export { connectNats, type ConnectNatsOptions, type MessagingLogger } from './connection';
export { publish, defaultMsgId, type PublishOptions, type PublishResult } from './publisher';
export {
  createConsumerRunner,
  type ConsumerRunner,
  type RunnerOptions,
  type RunnerStats,
  type HandlerContext,
  type JobHandler,
  type BackupOptions,
} from './runner';
export {
  DLQ_HEADERS,
  dlqMsgId,
  publishDeadLetter,
  deadLetterStoredMessage,
  watchMaxDeliveries,
  maxDeliveriesAdvisorySubject,
  type DeadLetter,
  type DeadLetterReason,
  type StoredMoveResult,
  type MaxDeliveriesWatcher,
  type WatchOptions,
} from './dead-letter';
export { METRIC_NAMES, runnerMetrics, type Outcome, type RunnerMetrics } from './metrics';
export { queueStats, dlqCountsBySubject, type QueueStats, type ConsumerStats, type AllQueueStats } from './stats';
export { listDeadLetters, requeueDeadLetter, type DeadLetterEntry, type RequeueResult } from './dlq';
