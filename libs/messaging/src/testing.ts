/**
 * `@voc/messaging/testing`: the public API plus what tests (this package's
 * and others') inspect: the names behind the queues, job decoding, the DLQ
 * stream and headers, the runner's metric names.
 */
export * from './index';
export { DLQ, QUEUE_NAMES, isQueueName } from './queues';
export { decodeJob, validateJob, type DecodeResult, type JobOf } from './jobs';
export { consumerConfig, streamConfigs } from './provision';
export { defaultMsgId } from './publisher';
export { DLQ_HEADERS, deadLetterStoredMessage } from './dead-letter';
export { METRIC_NAMES } from './metrics';
