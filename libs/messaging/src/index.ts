/**
 * @voc/messaging: the JetStream work queues of the pipeline. Public API:
 * queue definitions and job schemas, provisioning, publishing, the bounded
 * consumer runner and its error classes, the dependency gate (outages hold
 * messages instead of spending their deliveries), queue stats with the
 * fleet's runner states, and the dead-letter tools. What only tests need is in `@voc/messaging/testing`.
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
export { InvalidJobError, JS_ERR, PermanentError, PublishError, TransientError, isNatsUnavailable, jsErrorCode } from './errors';
export {
  createDependencyGate,
  type DependencyGate,
  type DependencyGateOptions,
  type DependencyProbe,
  type GateState,
  type Outage,
} from './gate';
export { collectRunnerStatus, serveRunnerStatus, RUNNER_STATUS_SUBJECT } from './fleet-status';
export { ensureConsumer, ensureStreams, type ConsumerOverrides, type EnsureConsumerOptions, type StreamOptions } from './provision';
export { connectNats, NATS_CONNECTION_DEFAULTS, type ConnectNatsOptions, type MessagingLogger } from './connection';
export { publish, type PublishOptions, type PublishResult } from './publisher';
export {
  createConsumerRunner,
  type BackupOptions,
  type ConsumerRunner,
  type HandlerContext,
  type JobHandler,
  type RunnerOptions,
  type RunnerStats,
  type RunnerStatus,
} from './runner';
export {
  queueStats,
  type AllQueueStats,
  type ConsumerStats,
  type QueueRunners,
  type QueueStats,
  type QueueStatsOptions,
} from './stats';
// The dead-letter tools; `npm run dlq` (tools/dlq) is their entry point.
export {
  DeadLetterNotFoundError,
  dropDeadLetter,
  getDeadLetter,
  listDeadLetters,
  requeueAllDeadLetters,
  requeueDeadLetter,
  type DeadLetterEntry,
  type RequeueResult,
} from './dlq';
export { DEAD_LETTER_REASONS, type DeadLetterReason } from './dead-letter';
