/**
 * Idempotent provisioning of the streams and durable consumers: every
 * service runs it at start-up, so it must succeed when run twice or by
 * several processes at once, and converge an existing stream or consumer to
 * the wanted settings instead of failing on it.
 */
import {
  AckPolicy,
  DeliverPolicy,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from 'nats';
import { errorMessage, jsErrorCode, JS_ERR } from './errors';
import { DLQ, QUEUE_NAMES, QUEUES, type ConsumerSettings, type QueueName } from './queues';

export interface StreamOptions {
  /** Replicas of every stream (1 on a single node; 3 on a 3-node cluster). */
  replicas?: number;
  /** Max age of work messages; 0 (the default) keeps them until worked: work must not silently expire. */
  maxAgeMs?: number;
  /** Window in which a repeated Nats-Msg-Id is dropped (default 2 min). */
  duplicateWindowMs?: number;
  /** How long dead letters are kept (default 30 days). */
  dlqMaxAgeMs?: number;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** The wanted configuration of every stream: the six work queues, then the DLQ. */
export function streamConfigs(opts: StreamOptions = {}): Partial<StreamConfig>[] {
  const common = {
    storage: StorageType.File,
    num_replicas: opts.replicas ?? 1,
    duplicate_window: nanos(opts.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
  };
  const work = QUEUE_NAMES.map((name) => {
    const q = QUEUES[name];
    return {
      ...common,
      name: q.stream,
      description: q.description,
      subjects: [q.subject],
      // Work-queue retention: a message leaves the stream once acked (or termed).
      retention: RetentionPolicy.Workqueue,
      max_age: nanos(opts.maxAgeMs ?? 0),
    };
  });
  const dlq = {
    ...common,
    name: DLQ.stream,
    description: 'Dead letters of every queue, on voc.dlq.<queue>',
    subjects: [DLQ.subjects],
    retention: RetentionPolicy.Limits,
    max_age: nanos(opts.dlqMaxAgeMs ?? DLQ.maxAgeMs),
  };
  return [...work, dlq];
}

/** Adds or updates every stream; returns their infos in `streamConfigs` order. */
export async function ensureStreams(jsm: JetStreamManager, opts: StreamOptions = {}): Promise<StreamInfo[]> {
  const out: StreamInfo[] = [];
  for (const cfg of streamConfigs(opts)) out.push(await ensureStream(jsm, cfg));
  return out;
}

async function ensureStream(jsm: JetStreamManager, want: Partial<StreamConfig>): Promise<StreamInfo> {
  const name = want.name!;
  // Two attempts: a concurrent provisioner may create the stream between our
  // info and our add, with other settings; the second pass then updates it.
  for (let attempt = 1; ; attempt++) {
    const existing = await streamInfoOrUndefined(jsm, name);
    try {
      if (!existing) return await jsm.streams.add(want);
      const changed = differingKeys(want, existing.config);
      if (changed.length === 0) return existing;
      for (const fixed of ['retention', 'storage'] as const) {
        if (changed.includes(fixed)) {
          throw new Error(
            `stream ${name} has ${fixed} ${existing.config[fixed]}, wanted ${want[fixed]}: JetStream cannot change it in place; ` +
              'drain and delete the stream, then provision again',
          );
        }
      }
      return await jsm.streams.update(name, { ...existing.config, ...want });
    } catch (e) {
      if (attempt < 2 && jsErrorCode(e) === JS_ERR.STREAM_NAME_IN_USE) continue;
      throw new Error(`provisioning stream ${name} failed: ${errorMessage(e)}`, { cause: e });
    }
  }
}

async function streamInfoOrUndefined(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (e) {
    if (jsErrorCode(e) === JS_ERR.STREAM_NOT_FOUND) return undefined;
    throw new Error(`reading stream ${name} failed: ${errorMessage(e)}`, { cause: e });
  }
}

export interface ConsumerOverrides extends Partial<ConsumerSettings> {
  /** Durable name; defaults to the queue's. */
  durable?: string;
}

/**
 * The wanted config of a queue's durable pull consumer. Explicit acks, all
 * messages, and on NATS 2.9 `backoff[0]` == `ack_wait` (the server replaces
 * ack_wait with backoff[0]). Overriding only `ackWaitMs` rescales the default
 * backoff; `backoffMs: []` disables it.
 */
export function consumerConfig(queue: QueueName, overrides: ConsumerOverrides = {}): Partial<ConsumerConfig> {
  const q = QUEUES[queue];
  const durable = overrides.durable ?? q.durable;
  const maxDeliver = overrides.maxDeliver ?? q.consumer.maxDeliver;
  const ackWaitMs = overrides.ackWaitMs ?? overrides.backoffMs?.[0] ?? q.consumer.ackWaitMs;
  const backoffMs =
    overrides.backoffMs ??
    (overrides.ackWaitMs === undefined
      ? q.consumer.backoffMs
      : q.consumer.backoffMs?.map((ms) => (ms / q.consumer.ackWaitMs) * ackWaitMs));
  const where = `consumer ${q.stream}/${durable}`;
  if (!(ackWaitMs > 0)) throw new Error(`${where}: ackWaitMs must be > 0, got ${ackWaitMs}`);
  if (!(maxDeliver >= 1 || maxDeliver === -1)) throw new Error(`${where}: maxDeliver must be >= 1 or -1, got ${maxDeliver}`);
  const backoff = backoffMs && backoffMs.length > 0 ? backoffMs : undefined;
  if (backoff) {
    if (backoff[0] !== ackWaitMs) {
      throw new Error(`${where}: backoffMs[0] (${backoff[0]}) must equal ackWaitMs (${ackWaitMs}); NATS 2.9 uses backoff[0] as the ack wait`);
    }
    if (maxDeliver !== -1 && backoff.length >= maxDeliver) {
      throw new Error(`${where}: ${backoff.length} backoff steps need maxDeliver > ${backoff.length}, got ${maxDeliver}`);
    }
  }
  return {
    durable_name: durable,
    description: `${q.name} workers (every process of the queue shares this durable)`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: nanos(ackWaitMs),
    max_deliver: maxDeliver,
    max_ack_pending: overrides.maxAckPending ?? q.consumer.maxAckPending,
    backoff: backoff?.map((ms) => nanos(ms)),
  };
}

export interface EnsureConsumerOptions {
  /**
   * Converge an existing consumer to the wanted settings (default true). The
   * queue's own service owns them; a process that only borrows the durable
   * (insight/theme backing up LEARNING) passes false, so it creates the
   * durable when missing but never fights the owner's settings.
   */
  update?: boolean;
}

/** Adds the queue's durable pull consumer, or updates it to `overrides`. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  queue: QueueName,
  overrides: ConsumerOverrides = {},
  opts: EnsureConsumerOptions = {},
): Promise<ConsumerInfo> {
  const { stream } = QUEUES[queue];
  const want = consumerConfig(queue, overrides);
  const durable = want.durable_name!;
  try {
    const existing = await consumerInfoOrUndefined(jsm, stream, durable);
    // Concurrent creators with the same config all succeed: the server
    // treats a create of an identical durable as a no-op.
    if (!existing) return await jsm.consumers.add(stream, want);
    if (opts.update === false || differingKeys(want, existing.config).length === 0) return existing;
    return await jsm.consumers.update(stream, durable, want);
  } catch (e) {
    throw new Error(`provisioning consumer ${stream}/${durable} failed: ${errorMessage(e)}`, { cause: e });
  }
}

async function consumerInfoOrUndefined(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (e) {
    if (jsErrorCode(e) === JS_ERR.CONSUMER_NOT_FOUND) return undefined;
    throw e;
  }
}

/** Keys of `want` whose value differs in `have` (absent and empty arrays are equal). */
function differingKeys(want: object, have: object): string[] {
  const norm = (v: unknown) => (Array.isArray(v) && v.length === 0 ? undefined : v);
  const h = have as Record<string, unknown>;
  return Object.entries(want)
    .filter(([k, v]) => JSON.stringify(norm(v)) !== JSON.stringify(norm(h[k])))
    .map(([k]) => k);
}
