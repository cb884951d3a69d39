/**
 * Publishing a job: validate, then publish with a Nats-Msg-Id so that
 * JetStream drops a repeat inside the stream's duplicate window (a retried
 * HTTP request, a publisher that crashed before seeing its ack), and await
 * the PubAck so the caller only reports success once the job is stored.
 */
import { createHash } from 'node:crypto';
import { headers as natsHeaders, type JetStreamClient } from 'nats';
import { InvalidJobError, PublishError } from './errors';
import { validateJob, type JobOf } from './jobs';
import { QUEUES, type QueueName } from './queues';

export interface PublishOptions {
  /**
   * Deduplication id. Default: a hash of the queue and the job's content, so
   * publishing the same job twice within the window stores it once. Pass
   * your own when equal content may legitimately be queued twice.
   */
  msgId?: string;
  /** Extra headers (e.g. a trace id); values must not contain CR or LF. */
  headers?: Record<string, string>;
  /** How long to wait for the PubAck (default: the client's, 5 s). */
  timeoutMs?: number;
}

export interface PublishResult {
  stream: string;
  seq: number;
  /** True when the stream already held a message with this msgId: nothing new was stored. */
  duplicate: boolean;
  msgId: string;
}

export async function publish<Q extends QueueName>(
  js: JetStreamClient,
  queue: Q,
  job: JobOf<Q>,
  opts: PublishOptions = {},
): Promise<PublishResult> {
  const q = QUEUES[queue];
  const valid = validateJob(queue, job);
  if (!valid.ok) throw new InvalidJobError(queue, opts.msgId, valid.error);
  const msgId = opts.msgId ?? defaultMsgId(queue, valid.job);
  let hdrs;
  if (opts.headers) {
    hdrs = natsHeaders();
    for (const [k, v] of Object.entries(opts.headers)) hdrs.set(k, v);
  }
  try {
    const ack = await js.publish(q.subject, JSON.stringify(valid.job), {
      msgID: msgId,
      headers: hdrs,
      timeout: opts.timeoutMs,
      // Refuse to "succeed" into some other stream that happens to bind the subject.
      expect: { streamName: q.stream },
    });
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate, msgId };
  } catch (e) {
    throw new PublishError(queue, q.subject, msgId, e);
  }
}

/** `<queue>:<sha256 of the job's canonical JSON>`, stable across key order. */
export function defaultMsgId<Q extends QueueName>(queue: Q, job: JobOf<Q>): string {
  const digest = createHash('sha256').update(canonicalJson(job)).digest('base64url').slice(0, 32);
  return `${queue.toLowerCase()}:${digest}`;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
