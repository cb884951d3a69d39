/**
 * Moving a message to the DLQ. JetStream (2.9) does not do it: a message that
 * runs out of deliveries STAYS in its work-queue stream, and the server only
 * emits a MAX_DELIVERIES advisory, which is not stored. So there are two paths:
 *
 * 1. the runner, when a handler fails for good (PermanentError, invalid
 *    payload, or a failure on the last delivery): publish to the DLQ, then
 *    ack the original so it leaves the work stream;
 * 2. the watcher, for messages whose last delivery ended without a verdict
 *    (the process died, or stop() released it): on the advisory, get the
 *    message by sequence, publish it to the DLQ, delete it from the stream.
 *
 * Both publish with msgID `dlq:<stream>:<seq>`, so a move repeated by another
 * process (every runner of the queue sees the advisory) is dropped by the
 * DLQ's duplicate window, and the delete of a message already gone is a no-op.
 */
import {
  headers as natsHeaders,
  type JetStreamClient,
  type JetStreamManager,
  type MsgHdrs,
  type NatsConnection,
  type PubAck,
  type Subscription,
} from 'nats';
import type { MessagingLogger } from './connection';
import { errorMessage, jsErrorCode, JS_ERR } from './errors';
import { DLQ, QUEUES, type QueueName } from './queues';

export const DLQ_HEADERS = {
  queue: 'Voc-Queue',
  originStream: 'Voc-Origin-Stream',
  originSubject: 'Voc-Origin-Subject',
  originSeq: 'Voc-Origin-Seq',
  originMsgId: 'Voc-Origin-Msg-Id',
  deliveries: 'Voc-Deliveries',
  reason: 'Voc-Reason',
  error: 'Voc-Error',
  failedAt: 'Voc-Failed-At',
} as const;

/**
 * - permanent: the handler threw PermanentError;
 * - invalid-payload: the body is not a valid job for its queue;
 * - exhausted: the handler failed on the last delivery;
 * - max-deliveries: the deliveries ran out without a verdict (advisory path).
 */
export type DeadLetterReason = 'permanent' | 'invalid-payload' | 'exhausted' | 'max-deliveries';

export const MAX_ERROR_HEADER_CHARS = 1000;

export interface DeadLetter {
  queue: QueueName;
  originSeq: number;
  originSubject: string;
  data: Uint8Array;
  /** The original headers: carried over, except NATS' own (Nats-*) and ours (Voc-*). */
  headers?: MsgHdrs;
  deliveries: number;
  reason: DeadLetterReason;
  error: string;
}

/**
 * `voc.dlq.<queue>.<reason>`: the reason is part of the subject, so the DLQ
 * stream's per-subject counts give dead letters by queue AND reason from one
 * stream info (queueStats), without reading any message.
 */
export function dlqSubjectOf(queue: QueueName, reason: DeadLetterReason): string {
  return `${QUEUES[queue].dlqSubject}.${reason}`;
}

export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = ['permanent', 'invalid-payload', 'exhausted', 'max-deliveries'];

export function dlqMsgId(stream: string, seq: number): string {
  return `dlq:${stream}:${seq}`;
}

/** A header value: one line, at most `max` characters. */
export function headerValue(s: string, max = MAX_ERROR_HEADER_CHARS): string {
  const line = s.replace(/[\r\n]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Copies application headers (not Nats-* nor Voc-*) into `into`. */
export function copyAppHeaders(from: MsgHdrs | undefined, into: MsgHdrs): void {
  if (!from) return;
  for (const k of from.keys()) {
    if (/^(nats|voc)-/i.test(k)) continue;
    for (const v of from.values(k)) into.append(k, v);
  }
}

/** Publishes a dead letter to `voc.dlq.<queue>`; `duplicate` when another process already moved it. */
export async function publishDeadLetter(js: JetStreamClient, d: DeadLetter): Promise<PubAck> {
  const q = QUEUES[d.queue];
  const h = natsHeaders();
  copyAppHeaders(d.headers, h);
  h.set(DLQ_HEADERS.queue, q.name);
  h.set(DLQ_HEADERS.originStream, q.stream);
  h.set(DLQ_HEADERS.originSubject, d.originSubject);
  h.set(DLQ_HEADERS.originSeq, String(d.originSeq));
  const originMsgId = d.headers?.get('Nats-Msg-Id');
  if (originMsgId) h.set(DLQ_HEADERS.originMsgId, headerValue(originMsgId, 300));
  h.set(DLQ_HEADERS.deliveries, String(d.deliveries));
  h.set(DLQ_HEADERS.reason, d.reason);
  h.set(DLQ_HEADERS.error, headerValue(d.error) || '(no message)');
  h.set(DLQ_HEADERS.failedAt, new Date().toISOString());
  try {
    return await js.publish(dlqSubjectOf(d.queue, d.reason), d.data, {
      msgID: dlqMsgId(q.stream, d.originSeq),
      headers: h,
      expect: { streamName: DLQ.stream },
    });
  } catch (e) {
    throw new Error(`dead-lettering ${q.stream} seq ${d.originSeq} to ${dlqSubjectOf(d.queue, d.reason)} failed: ${errorMessage(e)}`, { cause: e });
  }
}

export type StoredMoveResult = 'moved' | 'duplicate' | 'gone';

/**
 * Moves the stored message `seq` of `queue`'s stream to the DLQ and deletes it
 * from the work stream. `gone` when it was no longer there (moved or acked by
 * someone else); `duplicate` when another process published it to the DLQ first.
 */
export async function deadLetterStoredMessage(
  jsm: JetStreamManager,
  js: JetStreamClient,
  queue: QueueName,
  seq: number,
  why: { deliveries: number; reason: DeadLetterReason; error: string },
): Promise<StoredMoveResult> {
  const { stream } = QUEUES[queue];
  let stored;
  try {
    stored = await jsm.streams.getMessage(stream, { seq });
  } catch (e) {
    if (jsErrorCode(e) === JS_ERR.NO_MESSAGE_FOUND) return 'gone';
    throw new Error(`reading ${stream} seq ${seq} to dead-letter it failed: ${errorMessage(e)}`, { cause: e });
  }
  const ack = await publishDeadLetter(js, {
    queue,
    originSeq: seq,
    originSubject: stored.subject,
    data: stored.data,
    headers: stored.header,
    ...why,
  });
  try {
    // no_erase: a plain delete is enough, overwriting the bytes only costs I/O.
    await jsm.streams.deleteMessage(stream, seq, false);
  } catch (e) {
    const code = jsErrorCode(e);
    if (code !== JS_ERR.DELETE_NO_MESSAGE && code !== JS_ERR.NO_MESSAGE_FOUND) {
      throw new Error(`deleting dead-lettered ${stream} seq ${seq} failed: ${errorMessage(e)}`, { cause: e });
    }
  }
  return ack.duplicate ? 'duplicate' : 'moved';
}

/** The subject of the server's MAX_DELIVERIES advisory for one consumer. */
export function maxDeliveriesAdvisorySubject(stream: string, durable: string): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${durable}`;
}

interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

export interface MaxDeliveriesWatcher {
  /** Unsubscribes and waits for the moves under way. */
  stop(): Promise<void>;
}

export interface WatchOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  queue: QueueName;
  durable?: string;
  log: MessagingLogger;
  /** Called after this process moved a message (not for duplicates or gone ones). */
  onMoved?: (seq: number) => void;
  /** Attempts per advisory before giving up (the advisory is not stored, so retry a little). */
  attempts?: number;
}

/**
 * Watches the MAX_DELIVERIES advisories of one queue's durable and moves each
 * such message to the DLQ. Every process working the queue runs one (a plain
 * subscription, not a queue group: an advisory is delivered once and never
 * again, so redundancy beats saving a duplicate, idempotent move).
 */
export function watchMaxDeliveries(o: WatchOptions): MaxDeliveriesWatcher {
  const q = QUEUES[o.queue];
  const durable = o.durable ?? q.durable;
  const js = o.nc.jetstream();
  const attempts = o.attempts ?? 3;
  const pending = new Set<Promise<void>>();

  const move = async (adv: MaxDeliveriesAdvisory): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await deadLetterStoredMessage(o.jsm, js, o.queue, adv.stream_seq, {
          deliveries: adv.deliveries,
          reason: 'max-deliveries',
          error: `deliveries exhausted (${adv.deliveries}) without an ack: the process died, stalled past ack_wait, or was stopped on the last delivery`,
        });
        o.log[result === 'moved' ? 'warn' : 'debug'](
          { queue: o.queue, seq: adv.stream_seq, deliveries: adv.deliveries, result },
          'max-deliveries advisory: message dead-lettered',
        );
        if (result === 'moved') o.onMoved?.(adv.stream_seq);
        return;
      } catch (e) {
        if (attempt >= attempts) {
          o.log.error(
            { queue: o.queue, seq: adv.stream_seq, err: errorMessage(e) },
            'max-deliveries advisory: could not dead-letter the message; it stays in its work stream',
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  };

  const sub: Subscription = o.nc.subscribe(maxDeliveriesAdvisorySubject(q.stream, durable), {
    callback: (err, msg) => {
      if (err) {
        o.log.error({ queue: o.queue, err: errorMessage(err) }, 'max-deliveries advisory subscription failed');
        return;
      }
      let adv: MaxDeliveriesAdvisory;
      try {
        adv = msg.json<MaxDeliveriesAdvisory>();
      } catch (e) {
        o.log.error({ queue: o.queue, err: errorMessage(e) }, 'unreadable max-deliveries advisory');
        return;
      }
      if (adv.stream !== q.stream || typeof adv.stream_seq !== 'number') return;
      const p = move(adv).finally(() => pending.delete(p));
      pending.add(p);
    },
  });

  return {
    async stop() {
      if (!o.nc.isClosed()) sub.unsubscribe();
      await Promise.allSettled([...pending]);
    },
  };
}
