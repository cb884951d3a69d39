/**
 * The seeds' queues, one JetStream work-queue stream each, plus the DLQ.
 *
 * Each queue has exactly one subject and one durable pull consumer. A
 * work-queue stream only accepts non-overlapping consumers, so every process
 * that works a queue — more instances of its service, another host, or an
 * insight/theme process backing up LEARNING — pulls from that one durable.
 */

export const QUEUE_NAMES = ['INGEST', 'TRANSLATE', 'LEARNING', 'INSIGHT', 'THEME', 'REPORT'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Consumer settings of a queue's durable; `provision.ts` turns them into a ConsumerConfig. */
export interface ConsumerSettings {
  /**
   * How long a delivered message may go without an ack or a `working()`
   * heartbeat before the server hands it to another puller. With heartbeats
   * this is only the time to notice a dead process, not a job-length limit.
   */
  ackWaitMs: number;
  /** Deliveries before the message is dead-lettered (see runner.ts and dead-letter.ts). */
  maxDeliver: number;
  /**
   * Messages delivered and not yet acked across ALL processes on the durable,
   * including those waiting out a nak delay: must exceed the fleet's summed
   * CONCURRENCY or the server stops delivering.
   */
  maxAckPending: number;
  /**
   * Redelivery delays after an ack timeout (a crashed or stalled process).
   * On NATS 2.9 `backoff` replaces ack_wait with backoff[0], so provisioning
   * forces backoff[0] == ackWaitMs; the server wants fewer steps than maxDeliver.
   * Naks carry their own delay and do not use this.
   */
  backoffMs?: number[];
}

export interface QueueDefinition {
  name: QueueName;
  stream: string;
  subject: string;
  durable: string;
  /** Where this queue's dead letters go, in the DLQ stream: `<dlqSubject>.<reason>` (earlier ones: `<dlqSubject>` alone). */
  dlqSubject: string;
  description: string;
  consumer: ConsumerSettings;
}

const SECOND = 1000;

/** Crash-detection time; long jobs stay alive through working() heartbeats, see runner.ts. */
const DEFAULT_ACK_WAIT_MS = 30 * SECOND;

function queue(
  name: QueueName,
  description: string,
  consumer: Partial<ConsumerSettings> = {},
): QueueDefinition {
  const lower = name.toLowerCase();
  const ackWaitMs = consumer.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  return {
    name,
    stream: name,
    subject: `voc.${lower}`,
    durable: lower,
    dlqSubject: `voc.dlq.${lower}`,
    description,
    consumer: {
      ackWaitMs,
      maxDeliver: 5,
      maxAckPending: 1000,
      // A process that dies holding a message gets it back to the fleet after
      // ack_wait; a message that keeps killing its process is retried more slowly.
      backoffMs: [ackWaitMs, 2 * ackWaitMs, 4 * ackWaitMs],
      ...consumer,
    },
  };
}

export const QUEUES: Readonly<Record<QueueName, QueueDefinition>> = Object.freeze({
  INGEST: queue('INGEST', 'Uploaded reviews to store (ingest-svc)', { maxDeliver: 8 }),
  // A message is one LLM call, and translate-svc holds as many as its self-sized call slots (≤ 600) can
  // start, under CONCURRENCY caps of 500 (A) and 300 (B): room for both hosts and a scaled replica set.
  TRANSLATE: queue('TRANSLATE', 'Review batches and bullet points to translate (translate-svc)', { maxAckPending: 2000 }),
  LEARNING: queue('LEARNING', 'Products whose dimensions and 5W labels to learn (learning-svc; insight/theme back it up)'),
  INSIGHT: queue('INSIGHT', 'Reviews to extract insights from (insight-svc)'),
  THEME: queue('THEME', 'Reviews to label with 5W themes (theme-svc)'),
  REPORT: queue('REPORT', 'Reports to assemble (report-svc, no LLM)', { maxAckPending: 200 }),
});

/** Messages that exhausted their deliveries, failed permanently, or could not be decoded. */
export const DLQ = Object.freeze({
  stream: 'DLQ',
  subjects: 'voc.dlq.>',
  /** Dead letters are kept this long by default, for an operator to inspect or requeue. */
  maxAgeMs: 30 * 24 * 3600 * SECOND,
});

export function isQueueName(s: string): s is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(s);
}

/** The queue whose dead letters live on `subject` (`voc.dlq.<queue>[.<reason>]`), if any. */
export function queueOfDlqSubject(subject: string): QueueDefinition | undefined {
  return QUEUE_NAMES.map((q) => QUEUES[q]).find((q) => subject === q.dlqSubject || subject.startsWith(`${q.dlqSubject}.`));
}

/** The reason part of a DLQ subject; undefined for an entry from before reasons were in the subject. */
export function reasonOfDlqSubject(subject: string): string | undefined {
  const q = queueOfDlqSubject(subject);
  return q && subject.length > q.dlqSubject.length ? subject.slice(q.dlqSubject.length + 1) : undefined;
}
