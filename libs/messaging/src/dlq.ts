/**
 * Operator tools for the DLQ (the `npm run dlq` command is their entry
 * point): read what failed and why, put a message back on its queue once the
 * cause is fixed, or drop it.
 */
import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type MsgRequest, type StoredMsg } from 'nats';
import { copyAppHeaders, DLQ_HEADERS, type DeadLetterReason } from './dead-letter';
import { errorMessage, jsErrorCode, JS_ERR } from './errors';
import { DLQ, QUEUES, isQueueName, queueOfDlqSubject, type QueueName } from './queues';

export interface DeadLetterEntry {
  /** Sequence in the DLQ stream: the handle for requeueDeadLetter and dropDeadLetter. */
  seq: number;
  subject: string;
  queue: QueueName | undefined;
  originStream: string;
  originSubject: string;
  originSeq: number;
  originMsgId: string | undefined;
  deliveries: number;
  reason: DeadLetterReason | string;
  error: string;
  failedAt: string;
  /** The original body as text, and parsed when it is JSON. */
  body: string;
  job: unknown;
}

/**
 * Up to `limit` dead letters, oldest first, from DLQ sequence `fromSeq` on
 * (paging: pass the last seq + 1); of one queue, or of all when `queue` is
 * undefined.
 */
export async function listDeadLetters(
  jsm: JetStreamManager,
  queue: QueueName | undefined,
  limit = 100,
  fromSeq = 1,
): Promise<DeadLetterEntry[]> {
  const out: DeadLetterEntry[] = [];
  let seq = Math.max(1, fromSeq);
  while (out.length < limit) {
    let sm: StoredMsg;
    try {
      // next_by_subj (NATS >= 2.9): the first message on the subject filter at or after `seq`.
      // All of `voc.dlq.>`, filtered here: a queue's entries are on `voc.dlq.<queue>.<reason>`,
      // and older ones on `voc.dlq.<queue>` alone.
      const query = { seq, next_by_subj: DLQ.subjects } as unknown as MsgRequest;
      sm = await jsm.streams.getMessage(DLQ.stream, query);
    } catch (e) {
      const code = jsErrorCode(e);
      if (code === JS_ERR.NO_MESSAGE_FOUND || code === JS_ERR.STREAM_NOT_FOUND) break;
      throw new Error(`listing dead letters${queue ? ` of ${queue}` : ''} failed at DLQ seq ${seq}: ${errorMessage(e)}`, { cause: e });
    }
    const entry = toEntry(sm);
    if (!queue || entry.queue === queue) out.push(entry);
    seq = sm.seq + 1;
  }
  return out;
}

/** Dead letter `seq`, or an error naming it when there is none. */
export async function getDeadLetter(jsm: JetStreamManager, seq: number): Promise<DeadLetterEntry> {
  return toEntry(await storedDeadLetter(jsm, seq));
}

async function storedDeadLetter(jsm: JetStreamManager, seq: number): Promise<StoredMsg> {
  try {
    return await jsm.streams.getMessage(DLQ.stream, { seq });
  } catch (e) {
    const code = jsErrorCode(e);
    if (code === JS_ERR.NO_MESSAGE_FOUND) throw new DeadLetterNotFoundError(seq, e);
    throw new Error(`reading dead letter ${seq} failed: ${errorMessage(e)}`, { cause: e });
  }
}

/** There is no dead letter with this DLQ sequence (requeued or dropped already, or never). */
export class DeadLetterNotFoundError extends Error {
  override name = 'DeadLetterNotFoundError';
  constructor(
    readonly seq: number,
    cause?: unknown,
  ) {
    super(`no dead letter with DLQ seq ${seq}`, { cause });
  }
}

function toEntry(sm: StoredMsg): DeadLetterEntry {
  const h = (k: string) => sm.header?.get(k) ?? '';
  const body = new TextDecoder().decode(sm.data);
  let job: unknown;
  try {
    job = JSON.parse(body);
  } catch {
    job = undefined; // the body itself is what made it a dead letter
  }
  const queue = h(DLQ_HEADERS.queue);
  return {
    seq: sm.seq,
    subject: sm.subject,
    queue: isQueueName(queue) ? queue : queueOfDlqSubject(sm.subject)?.name,
    originStream: h(DLQ_HEADERS.originStream),
    originSubject: h(DLQ_HEADERS.originSubject),
    originSeq: Number(h(DLQ_HEADERS.originSeq)) || 0,
    originMsgId: h(DLQ_HEADERS.originMsgId) || undefined,
    deliveries: Number(h(DLQ_HEADERS.deliveries)) || 0,
    reason: h(DLQ_HEADERS.reason),
    error: h(DLQ_HEADERS.error),
    failedAt: h(DLQ_HEADERS.failedAt),
    body,
    job,
  };
}

export interface RequeueResult {
  /** The dead letter's DLQ sequence. */
  dlqSeq: number;
  queue: QueueName;
  /** Sequence of the new message in the work stream. */
  seq: number;
  /** True when this dead letter was already requeued within the duplicate window. */
  duplicate: boolean;
  msgId: string;
}

/**
 * Republishes dead letter `seq` to its original subject, then deletes it from
 * the DLQ. The new message gets a fresh msgId (`requeue:DLQ:<seq>`): the
 * original id may still be inside the work stream's duplicate window, where
 * it would be dropped; and requeuing the same entry twice stays a no-op. It
 * starts with a full delivery budget.
 */
export async function requeueDeadLetter(js: JetStreamClient, jsm: JetStreamManager, seq: number): Promise<RequeueResult> {
  const sm = await storedDeadLetter(jsm, seq);
  const entry = toEntry(sm);
  if (!entry.queue) throw new Error(`dead letter ${seq} (${sm.subject}) names no known queue`);
  const q = QUEUES[entry.queue];
  const h = natsHeaders();
  copyAppHeaders(sm.header, h);
  h.set('Voc-Requeued-From', String(seq));
  const msgId = `requeue:${DLQ.stream}:${seq}`;
  let ack;
  try {
    ack = await js.publish(entry.originSubject || q.subject, sm.data, {
      msgID: msgId,
      headers: h,
      expect: { streamName: q.stream },
    });
  } catch (e) {
    throw new Error(`requeuing dead letter ${seq} to ${q.subject} failed: ${errorMessage(e)}`, { cause: e });
  }
  await deleteDeadLetter(jsm, seq, 'requeued dead letter');
  return { dlqSeq: seq, queue: q.name, seq: ack.seq, duplicate: ack.duplicate, msgId };
}

/** Requeues every dead letter (of `queue`, or all), oldest first; returns what it requeued. */
export async function requeueAllDeadLetters(js: JetStreamClient, jsm: JetStreamManager, queue?: QueueName): Promise<RequeueResult[]> {
  const out: RequeueResult[] = [];
  let from = 1;
  for (;;) {
    const page = await listDeadLetters(jsm, queue, 100, from);
    if (page.length === 0) return out;
    for (const e of page) out.push(await requeueDeadLetter(js, jsm, e.seq));
    from = page[page.length - 1]!.seq + 1;
  }
}

/** Deletes dead letter `seq` for good; returns what it was. */
export async function dropDeadLetter(jsm: JetStreamManager, seq: number): Promise<DeadLetterEntry> {
  const entry = await getDeadLetter(jsm, seq);
  await deleteDeadLetter(jsm, seq, 'dead letter');
  return entry;
}

async function deleteDeadLetter(jsm: JetStreamManager, seq: number, what: string): Promise<void> {
  try {
    await jsm.streams.deleteMessage(DLQ.stream, seq, false);
  } catch (e) {
    const code = jsErrorCode(e);
    // Gone already: a concurrent requeue or drop of the same entry got there first.
    if (code !== JS_ERR.DELETE_NO_MESSAGE && code !== JS_ERR.NO_MESSAGE_FOUND) {
      throw new Error(`${what} ${seq}: could not delete it from the DLQ: ${errorMessage(e)}`, { cause: e });
    }
  }
}
