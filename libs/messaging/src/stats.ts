/**
 * Queue depths for the gateway's GET /v1/queues and the demo's progress: one
 * stream info per queue, its consumers, and one DLQ info with per-subject
 * counts. The numbers come from separate API calls, so under load they are a
 * consistent-enough snapshot, not an atomic one.
 */
import type { ConsumerInfo, JetStreamManager, NatsConnection } from 'nats';
import { errorMessage, jsErrorCode, JS_ERR } from './errors';
import { collectRunnerStatus } from './fleet-status';
import { DLQ, QUEUE_NAMES, QUEUES, queueOfDlqSubject, reasonOfDlqSubject, type QueueName } from './queues';
import type { RunnerStatus } from './runner';

export interface ConsumerStats {
  name: string;
  /** Stored messages not yet delivered to this consumer. */
  numPending: number;
  /** Delivered and not yet acked: held by a worker, or waiting out a nak delay. */
  numAckPending: number;
  /** Messages delivered more than once (redelivered and still unacked). */
  numRedelivered: number;
  /** Pull requests waiting for messages (idle workers). */
  numWaiting: number;
}

export interface QueueStats {
  queue: QueueName;
  stream: string;
  subject: string;
  /** False when the stream is not provisioned (every count is then 0). */
  exists: boolean;
  /** Messages stored in the work stream: waiting, in flight, or stranded. */
  messages: number;
  consumers: ConsumerStats[];
  /** Sum over consumers: waiting to be delivered. */
  pending: number;
  /** Sum over consumers: in flight. */
  inFlight: number;
  /**
   * Messages still in the stream that no consumer will deliver again: they ran
   * out of deliveries and their MAX_DELIVERIES advisory was not acted on (no
   * runner was subscribed). Estimated as messages − pending − in flight;
   * a conservative estimate (work in motion is not counted as stranded).
   */
  stranded: number;
  /** Messages of this queue in the DLQ. */
  dlq: number;
  /**
   * The same by reason (permanent, invalid-payload, exhausted, max-deliveries;
   * `unknown` for entries from before the reason was in the subject).
   */
  dlqByReason: Record<string, number>;
  /** With `{ nc }`: the processes consuming this queue (as their own or as backup) and what they do. */
  runners?: QueueRunners;
}

export interface QueueRunners {
  /** Runners that answered. */
  total: number;
  /** Waiting for a dependency: they hold their messages and pull nothing. */
  waiting: number;
  /** Waiting runners per dependency. */
  waitingFor: Record<string, number>;
  /** Messages held until a dependency is back. */
  heldForOutage: number;
  list: RunnerStatus[];
}

export type AllQueueStats = Record<QueueName, QueueStats>;

export interface QueueStatsOptions {
  /** Also ask the fleet's runners for their state (see fleet-status.ts). */
  nc?: NatsConnection;
  /** How long to collect their answers (default 500 ms). */
  runnersWaitMs?: number;
}

export async function queueStats(jsm: JetStreamManager, opts: QueueStatsOptions = {}): Promise<AllQueueStats> {
  const [dlqCounts, runners] = await Promise.all([
    dlqCountsBySubject(jsm),
    opts.nc ? collectRunnerStatus(opts.nc, opts.runnersWaitMs) : Promise.resolve(undefined),
  ]);
  const dlq = dlqByQueue(dlqCounts);
  const entries = await Promise.all(
    QUEUE_NAMES.map(async (q) => {
      const stats = await oneQueue(jsm, q, dlq[q]);
      if (runners) stats.runners = runnersOf(q, runners);
      return [q, stats] as const;
    }),
  );
  return Object.fromEntries(entries) as AllQueueStats;
}

function dlqByQueue(bySubject: Record<string, number>): Record<QueueName, Record<string, number>> {
  const out = Object.fromEntries(QUEUE_NAMES.map((q) => [q, {}])) as Record<QueueName, Record<string, number>>;
  for (const [subject, n] of Object.entries(bySubject)) {
    const q = queueOfDlqSubject(subject);
    if (!q) continue;
    const reason = reasonOfDlqSubject(subject) ?? 'unknown';
    out[q.name][reason] = (out[q.name][reason] ?? 0) + n;
  }
  return out;
}

function runnersOf(queue: QueueName, all: RunnerStatus[]): QueueRunners {
  const list = all.filter((r) => r.queue === queue || r.backup === queue);
  const waitingFor: Record<string, number> = {};
  for (const r of list) for (const w of r.waitingFor) waitingFor[w.dependency] = (waitingFor[w.dependency] ?? 0) + 1;
  return {
    total: list.length,
    waiting: list.filter((r) => r.state === 'waiting').length,
    waitingFor,
    heldForOutage: sum(list.map((r) => r.heldForOutage)),
    list,
  };
}

async function oneQueue(jsm: JetStreamManager, queue: QueueName, dlqByReason: Record<string, number>): Promise<QueueStats> {
  const q = QUEUES[queue];
  const base = { queue, stream: q.stream, subject: q.subject, dlq: sum(Object.values(dlqByReason)), dlqByReason };
  // Consumers, stream, consumers again: a message published or acked between
  // the reads is then counted on the consumer side too, so `stranded` does not
  // report work in motion as stuck.
  const before = await consumersOf(jsm, q.stream);
  if (before === undefined) {
    return { ...base, exists: false, messages: 0, consumers: [], pending: 0, inFlight: 0, stranded: 0 };
  }
  const messages = (await jsm.streams.info(q.stream)).state.messages;
  const consumers = (await consumersOf(jsm, q.stream)) ?? [];
  const pending = sum(consumers.map((c) => c.numPending));
  const inFlight = sum(consumers.map((c) => c.numAckPending));
  const accounted = Math.max(pending + inFlight, sum(before.map((c) => c.numPending + c.numAckPending)));
  return {
    ...base,
    exists: true,
    messages,
    consumers,
    pending,
    inFlight,
    // Only meaningful with a consumer: without one, every message simply waits.
    stranded: consumers.length > 0 ? Math.max(0, messages - accounted) : 0,
  };
}

/** The stream's consumers, or undefined when the stream does not exist. */
async function consumersOf(jsm: JetStreamManager, stream: string): Promise<ConsumerStats[] | undefined> {
  try {
    const infos: ConsumerInfo[] = [];
    for await (const ci of jsm.consumers.list(stream)) infos.push(ci);
    return infos.map((ci) => ({
      name: ci.name,
      numPending: ci.num_pending,
      numAckPending: ci.num_ack_pending,
      numRedelivered: ci.num_redelivered,
      numWaiting: ci.num_waiting,
    }));
  } catch (e) {
    if (jsErrorCode(e) === JS_ERR.STREAM_NOT_FOUND) return undefined;
    throw new Error(`reading the consumers of ${stream} failed: ${errorMessage(e)}`, { cause: e });
  }
}

/** Dead letters per DLQ subject (`voc.dlq.<queue>.<reason>`), from one stream info. */
export async function dlqCountsBySubject(jsm: JetStreamManager): Promise<Record<string, number>> {
  try {
    const info = await jsm.streams.info(DLQ.stream, { subjects_filter: DLQ.subjects });
    return info.state.subjects ?? {};
  } catch (e) {
    if (jsErrorCode(e) === JS_ERR.STREAM_NOT_FOUND) return {};
    throw new Error(`reading stream ${DLQ.stream} failed: ${errorMessage(e)}`, { cause: e });
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
