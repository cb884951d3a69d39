/**
 * The consumer runner: pulls a queue's durable, runs a handler per message,
 * and settles each message (ack, nak with delay, or DLQ).
 *
 * - Bounded: a process holds at most `concurrency` messages. A fetch asks for
 *   exactly the free slots and those slots stay reserved until the fetch ends,
 *   so nothing is ever buffered beyond what is being worked. One fetch is
 *   outstanding at a time.
 * - Alive: while a handler runs, `working()` is sent every heartbeatMs (<
 *   ack_wait), so a job that waits minutes for the rate limiter or the LLM is
 *   not redelivered; ack_wait only measures how fast a dead process is noticed.
 * - Acks are confirmed (`ackAck`): the slot is freed only once the server has
 *   the ack. If the confirmation times out the ack may still have landed or
 *   not; the message may then be redelivered, which handlers tolerate (C5:
 *   at-least-once, idempotent writes). We log it rather than hide it.
 * - Failures: TransientError or any unknown error → nak with exponential
 *   delay, or the DLQ on the last delivery; PermanentError or an invalid
 *   payload → the DLQ at once. Never nak to wait for capacity: every nak
 *   spends a delivery.
 * - Outages (with a `gate`): a failure the gate classifies as a dependency
 *   outage is not the message's: the runner keeps the message (heartbeats,
 *   no nak, no delivery spent), stops pulling, and runs the handler again
 *   once the gate has seen the dependency answer. A message is held through
 *   an outage of any length; see gate.ts.
 * - Node loss: each fetch asks the server for idle heartbeats; two missed
 *   ones (a server that died, or a consumer leader that moved) end the fetch
 *   and, if the connection does not answer a ping either, force a reconnect
 *   to another node, so a pull never waits out its expiry on a dead node.
 * - Backup: when the primary fetch comes back empty, the free slots fetch from
 *   the backup queue's durable (the SAME durable its own service pulls: a
 *   work-queue stream allows no second, overlapping consumer). Primary first.
 * - Stop: no new pulls; the outstanding fetch is drained (not closed: closing
 *   drops messages already on the wire, which then sit until ack_wait and
 *   spend a delivery) and whatever it still brings is released; in-flight
 *   handlers get shutdownTimeoutMs, then their signal is aborted and their
 *   messages are nak'ed (no delay) for another process.
 */
import type {
  Consumer,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  NatsConnection,
  Subscription,
} from 'nats';
import type { Registry } from 'prom-client';
import { ConsumerEvents, Events } from 'nats';
import { linkedSignal } from '@voc/service-kit';
import type { MessagingLogger } from './connection';
import { publishDeadLetter, watchMaxDeliveries, type DeadLetterReason, type MaxDeliveriesWatcher } from './dead-letter';
import { errorMessage, PermanentError, TransientError } from './errors';
import type { DependencyGate } from './gate';
import { decodeJob, type JobOf } from './jobs';
import { runnerMetrics, type Outcome, type RunnerMetrics } from './metrics';
import { QUEUES, type QueueName } from './queues';

export interface HandlerContext {
  /** The queue this message came from: the runner's own, or its backup's. */
  queue: QueueName;
  isBackup: boolean;
  stream: string;
  /** Stream sequence: stable across redeliveries, unique in the stream. */
  seq: number;
  msgId: string | undefined;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** The consumer's max_deliver (-1: unlimited). */
  maxDeliver: number;
  /** A failure now sends the message to the DLQ instead of a retry. */
  isLastDelivery: boolean;
  /** Aborted when stop() gives up waiting (shutdownTimeoutMs); the message is then released. */
  signal: AbortSignal;
  /** An extra keep-alive; the runner already sends one every heartbeatMs. */
  working(): void;
  /**
   * Runs `fn`, and when it fails because a dependency is away (as the
   * runner's gate classifies it), waits for the dependency and runs it again,
   * holding the message meanwhile: for a write whose inputs (LLM results)
   * must not be thrown away. Other errors are thrown. Without a gate: `fn()`.
   */
  retryOnOutage<T>(fn: () => Promise<T>): Promise<T>;
}

export type JobHandler<Q extends QueueName> = (job: JobOf<Q>, ctx: HandlerContext) => Promise<void>;

/** A queue pulled when the runner's own queue is empty, and its handler. */
export type BackupOptions = {
  [B in QueueName]: { queue: B; durable?: string; handler: JobHandler<B> };
}[QueueName];

export interface RunnerOptions<Q extends QueueName> {
  nc: NatsConnection;
  queue: Q;
  /** Default: the queue's durable. */
  durable?: string;
  /** Messages this process holds at once (the seeds' CONCURRENCY), shared with the backup: a cap. */
  concurrency: number;
  /**
   * How many messages the runner may hold right now, below `concurrency`:
   * messages are taken only as fast as their work can start (issue 12: the
   * LLM workers hold as many as their self-sized call slots can start).
   * Re-read every ADMISSION_RECHECK_MS while it is what holds pulling back.
   */
  admission?: () => number;
  handler: JobHandler<Q>;
  backup?: BackupOptions;
  log: MessagingLogger;
  registry: Registry;
  /** working() interval; default a third of the consumer's ack_wait. Must be below ack_wait. */
  heartbeatMs?: number;
  /** How long stop() waits for in-flight handlers (default 25 s). */
  shutdownTimeoutMs?: number;
  /** After the deadline, how long to wait for aborted handlers to return (default 2 s). */
  abortGraceMs?: number;
  /** Overrides the primary consumer's max_deliver as read from the server. */
  maxDeliver?: number;
  /** Pull request lifetime; default 5 s, or 1 s with a backup (so an empty queue hands over quickly). */
  pullExpiresMs?: number;
  /** Retry delay after a failure: base × 2^(delivery-1), capped, ±20 % jitter. */
  retry?: { baseMs?: number; maxMs?: number };
  /** Watch MAX_DELIVERIES advisories and dead-letter those messages (default true). */
  deadLetterWatcher?: boolean;
  /** The process's dependency gate: outages hold messages instead of spending their deliveries. */
  gate?: DependencyGate;
  /** Who runs this consumer, for the fleet's view of the runners (`runnerStatus`, /v1/queues). */
  identity?: { service: string; node: string };
  /** Server idle heartbeats of a fetch; two missed end it (node loss). Default 1 s (half the expiry if shorter). */
  pullHeartbeatMs?: number;
}

export interface RunnerStats {
  received: number;
  succeeded: number;
  retried: number;
  deadLettered: number;
  invalid: number;
  released: number;
  /** Messages moved by this process's advisory watcher. */
  advisoryMoves: number;
  /** The most messages held at once since start. */
  maxInFlight: number;
  /** Handler failures that were a dependency's outage: the message was held, not retried. */
  heldForOutage: number;
  /** Fetches ended because the server's heartbeats stopped (a dead node, a moved leader). */
  stalledPulls: number;
}

/** What one runner is doing, as the fleet view (`collectRunnerStatus`) shows it. */
export interface RunnerStatus {
  service: string;
  node: string;
  pid: number;
  queue: QueueName;
  backup?: QueueName;
  /** running: pulling; waiting: a dependency is down, nothing is pulled; stopping: shutting down. */
  state: 'running' | 'waiting' | 'stopping';
  waitingFor: { dependency: string; since: string; error: string }[];
  concurrency: number;
  inFlight: number;
  /** Messages held until a dependency is back. */
  heldForOutage: number;
  stats: RunnerStats;
}

export interface ConsumerRunner {
  /** Binds the consumers (they must exist: see ensureConsumer), subscribes the watchers, starts pulling. */
  start(): Promise<void>;
  /** Drains as described above; resolves when nothing is held any more. Idempotent. */
  stop(): Promise<void>;
  /** Messages being handled right now. */
  inFlight(): number;
  /** This runner's state, for readiness and the fleet view. */
  status(): RunnerStatus;
  readonly stats: Readonly<RunnerStats>;
}

interface Source {
  queue: QueueName;
  isBackup: boolean;
  stream: string;
  durable: string;
  handler: (job: unknown, ctx: HandlerContext) => Promise<void>;
  consumer?: Consumer;
  maxDeliver: number;
  heartbeatMs: number;
  /** Fetch failures in a row, and when to try again. */
  failures: number;
  retryAt: number;
}

interface Held {
  source: Source;
  msg: JsMsg;
  /** Set once the message got its ack, nak or DLQ move: nothing may touch it after. */
  settled: boolean;
  abort: AbortController;
  done?: Promise<void>;
  /** True while the handler waits for a dependency to come back. */
  waitingForOutage: boolean;
}

/**
 * After this many outages in a row that the dependency's first probe did not
 * confirm (it answered at once), the failure is the message's own after all:
 * e.g. a statement that times out on this message's data alone.
 */
const MAX_UNCONFIRMED_OUTAGES = 3;

const BACKUP_PULL_EXPIRES_MS = 1000;
const MAX_FETCH_ERROR_PAUSE_MS = 30_000;
const MIN_EMPTY_ROUND_MS = 200;
/** While admission (not the cap or the held messages) stops pulling, how often it is asked again. */
const ADMISSION_RECHECK_MS = 250;

export function createConsumerRunner<Q extends QueueName>(opts: RunnerOptions<Q>): ConsumerRunner {
  return new Runner(opts);
}

class Runner<Q extends QueueName> implements ConsumerRunner {
  readonly stats: RunnerStats = {
    received: 0,
    succeeded: 0,
    retried: 0,
    deadLettered: 0,
    invalid: 0,
    released: 0,
    advisoryMoves: 0,
    maxInFlight: 0,
    heldForOutage: 0,
    stalledPulls: 0,
  };

  private readonly log: MessagingLogger;
  private readonly metrics: RunnerMetrics;
  private readonly sources: Source[];
  private readonly held = new Set<Held>();
  /** Slots promised to the outstanding fetch and not yet filled. */
  private reserved = 0;
  private fetching?: ConsumerMessages;
  private waiters: (() => void)[] = [];
  private nextChange: Promise<void> | undefined;
  private recheck: Promise<void> | undefined;
  private readonly stopCtl = new AbortController();
  private js?: JetStreamClient;
  private watchers: MaxDeliveriesWatcher[] = [];
  private loopDone?: Promise<void>;
  private stopping?: Promise<void>;
  private started = false;
  private unsubscribeGate?: () => void;
  private stopWatchingConnection?: () => void;

  constructor(private readonly o: RunnerOptions<Q>) {
    if (!Number.isInteger(o.concurrency) || o.concurrency < 1) {
      throw new Error(`runner ${o.queue}: concurrency must be a positive integer, got ${o.concurrency}`);
    }
    this.log = o.log;
    this.metrics = runnerMetrics(o.registry);
    const source = (queue: QueueName, isBackup: boolean, durable: string | undefined, handler: unknown): Source => ({
      queue,
      isBackup,
      stream: QUEUES[queue].stream,
      durable: durable ?? QUEUES[queue].durable,
      handler: handler as Source['handler'],
      maxDeliver: -1,
      heartbeatMs: 0,
      failures: 0,
      retryAt: 0,
    });
    this.sources = [source(o.queue, false, o.durable, o.handler)];
    if (o.backup) {
      if (o.backup.queue === o.queue) throw new Error(`runner ${o.queue}: the backup queue must be another queue`);
      this.sources.push(source(o.backup.queue, true, o.backup.durable, o.backup.handler));
    }
  }

  inFlight(): number {
    return this.held.size;
  }

  status(): RunnerStatus {
    const gateState = this.o.gate?.state();
    const stopping = this.stopCtl.signal.aborted;
    return {
      service: this.o.identity?.service ?? 'unknown',
      node: this.o.identity?.node ?? 'unknown',
      pid: process.pid,
      queue: this.o.queue,
      ...(this.o.backup ? { backup: this.o.backup.queue } : {}),
      state: stopping ? 'stopping' : gateState && !gateState.open ? 'waiting' : 'running',
      waitingFor: (gateState?.outages ?? []).map((x) => ({ dependency: x.dependency, since: new Date(x.since).toISOString(), error: x.error })),
      concurrency: this.o.concurrency,
      inFlight: this.held.size,
      heldForOutage: [...this.held].filter((h) => h.waitingForOutage).length,
      stats: { ...this.stats },
    };
  }

  async start(): Promise<void> {
    if (this.started) throw new Error(`runner ${this.o.queue}: already started`);
    this.started = true;
    const js = (this.js = this.o.nc.jetstream());
    const jsm = await this.o.nc.jetstreamManager();
    for (const s of this.sources) await this.bind(js, s, s.isBackup ? undefined : this.o.maxDeliver);
    if (this.stopCtl.signal.aborted) return; // stop() came while binding: nothing to start
    if (this.o.deadLetterWatcher !== false) this.watchers = this.sources.map((s) => this.watch(jsm, s));
    // A closing gate ends the open fetch: what it already brought waits in its handler, nothing more comes.
    this.unsubscribeGate = this.o.gate?.onChange((st) => {
      if (!st.open) this.endFetch('a dependency is down', true);
    });
    void this.watchConnection();
    this.loopDone = this.loop();
    this.log.info(
      {
        queue: this.o.queue,
        backup: this.o.backup?.queue,
        concurrency: this.o.concurrency,
        sources: this.sources.map((s) => ({ stream: s.stream, durable: s.durable, maxDeliver: s.maxDeliver, heartbeatMs: s.heartbeatMs })),
      },
      'consumer runner started',
    );
  }

  private async bind(js: JetStreamClient, s: Source, maxDeliver: number | undefined): Promise<void> {
    try {
      s.consumer = await js.consumers.get(s.stream, s.durable);
    } catch (e) {
      throw new Error(
        `runner ${this.o.queue}: cannot bind consumer ${s.stream}/${s.durable} (${errorMessage(e)}); provision it with ensureStreams/ensureConsumer first`,
        { cause: e },
      );
    }
    const info = await s.consumer.info(true);
    const ackWaitMs = Math.round((info.config.ack_wait ?? 30e9) / 1e6);
    s.maxDeliver = maxDeliver ?? info.config.max_deliver ?? -1;
    s.heartbeatMs = this.o.heartbeatMs ?? Math.max(100, Math.floor(ackWaitMs / 3));
    if (s.heartbeatMs >= ackWaitMs) {
      throw new Error(
        `runner ${this.o.queue}: heartbeatMs (${s.heartbeatMs}) must be below the ack_wait of ${s.stream}/${s.durable} (${ackWaitMs} ms)`,
      );
    }
  }

  private watch(jsm: JetStreamManager, s: Source): MaxDeliveriesWatcher {
    return watchMaxDeliveries({
      nc: this.o.nc,
      jsm,
      queue: s.queue,
      durable: s.durable,
      log: this.log,
      onMoved: () => {
        this.stats.advisoryMoves++;
        this.metrics.dlqMoves.inc({ queue: s.queue });
      },
    });
  }

  // ---- pulling ----

  private free(): number {
    const admitted = this.o.admission ? Math.max(0, Math.floor(this.o.admission())) : Infinity;
    return Math.min(this.o.concurrency, admitted) - this.held.size - this.reserved;
  }

  /** Free slots are 0 because of admission, not the cap: it can change without a message ending. */
  private heldBackByAdmission(): boolean {
    return this.o.admission !== undefined && this.held.size + this.reserved < this.o.concurrency;
  }

  private async loop(): Promise<void> {
    const [primary, backup] = this.sources as [Source, Source | undefined];
    const primaryExpires = this.o.pullExpiresMs ?? (backup ? BACKUP_PULL_EXPIRES_MS : 5000);
    while (!this.stopCtl.signal.aborted) {
      if (this.o.nc.isClosed()) {
        this.log.error({ queue: this.o.queue }, 'nats connection closed: the runner stops pulling');
        return;
      }
      if (this.free() <= 0) {
        await (this.heldBackByAdmission() ? Promise.race([this.changed(), this.admissionRecheck()]) : this.changed());
        continue;
      }
      if (this.o.gate && !this.o.gate.isOpen()) {
        await this.o.gate.whenOpen(this.stopCtl.signal);
        continue;
      }
      const t0 = Date.now();
      const got = await this.pullFrom(primary, primaryExpires);
      let backupGot = 0;
      if (got === 0 && backup && this.free() > 0 && Date.now() >= backup.retryAt) {
        backupGot = await this.pullFrom(backup, BACKUP_PULL_EXPIRES_MS);
      }
      if (primary.failures > 0) {
        await this.pause(primary.retryAt - Date.now());
      } else if (got + backupGot === 0 && Date.now() - t0 < MIN_EMPTY_ROUND_MS) {
        // An empty fetch should last its `expires`; one that the server ends
        // at once (e.g. a 409 on a misconfigured consumer) must not spin.
        await this.pause(MIN_EMPTY_ROUND_MS);
      }
    }
  }

  /** One fetch for the free slots; returns the number of messages it brought. */
  private async pullFrom(s: Source, expires: number): Promise<number> {
    const max = this.free();
    if (max <= 0 || this.stopCtl.signal.aborted) return 0;
    this.reserved += max;
    let taken = 0;
    try {
      const idle_heartbeat = Math.min(this.o.pullHeartbeatMs ?? 1000, Math.floor(expires / 2));
      const iter = await s.consumer!.fetch({ max_messages: max, expires, idle_heartbeat });
      this.fetching = iter;
      void this.watchFetch(s, iter);
      if (this.stopCtl.signal.aborted) await drainFetch(iter);
      for await (const msg of iter) {
        if (taken >= max) {
          // The client re-pulls after missed heartbeats or a reconnect, and
          // may bring more than asked: never hold more than the slots.
          this.log.warn({ queue: s.queue, seq: msg.seq }, 'fetch overflow: message handed back');
          msg.nak();
          continue;
        }
        taken++;
        this.reserved--;
        this.stats.received++;
        if (this.stopCtl.signal.aborted) {
          msg.nak();
          this.record(s, 'released');
          continue;
        }
        this.dispatch(s, msg);
      }
      s.failures = 0;
    } catch (e) {
      s.failures++;
      const pauseMs = Math.min(1000 * 2 ** (s.failures - 1), MAX_FETCH_ERROR_PAUSE_MS);
      s.retryAt = Date.now() + pauseMs;
      this.log.warn(
        { queue: s.queue, stream: s.stream, durable: s.durable, err: errorMessage(e), failures: s.failures, pauseMs },
        'fetch failed',
      );
    } finally {
      this.fetching = undefined;
      this.reserved -= max - taken;
      this.wake();
    }
    return taken;
  }

  /**
   * Two missed heartbeats of the open fetch: the server it went to is gone,
   * or the consumer's leader moved and the pull went with it. End the fetch
   * (the loop pulls again), and if the connection itself no longer answers,
   * force a reconnect to another node instead of waiting out the ping timers.
   */
  private async watchFetch(s: Source, iter: ConsumerMessages): Promise<void> {
    try {
      for await (const st of await iter.status()) {
        if (st.type !== ConsumerEvents.HeartbeatsMissed || (st.data as number) < 2 || this.fetching !== iter) continue;
        this.stats.stalledPulls++;
        this.log.warn({ queue: s.queue, server: this.o.nc.getServer() }, 'pull heartbeats missed: pulling again');
        this.endFetch('heartbeats missed', false);
        const answered = await Promise.race([this.o.nc.flush().then(() => true), delay(500).then(() => false)]).catch(() => false);
        if (!answered && !this.o.nc.isClosed()) {
          this.log.warn({ queue: s.queue, server: this.o.nc.getServer() }, 'nats connection does not answer: reconnecting to another node');
          await this.o.nc.reconnect().catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'forced reconnect failed'));
        }
        return;
      }
    } catch {
      // the fetch ended: nothing to watch
    }
  }

  /**
   * A disconnect ends the open fetch at once: nats.js would re-pull the same
   * batch on reconnect, and what that brings beyond our free slots costs a
   * delivery each. The loop pulls afresh once connected again.
   */
  private async watchConnection(): Promise<void> {
    const statuses = this.o.nc.status();
    this.stopWatchingConnection = () => (statuses as { stop?: () => void }).stop?.();
    for await (const st of statuses) {
      if (this.stopCtl.signal.aborted) return;
      if (st.type === Events.Disconnect || st.type === Events.Reconnect) this.endFetch(`nats ${st.type}`, false);
    }
  }

  /**
   * Ends the open fetch. `drain` keeps what is already on the wire (it is
   * handed to handlers; stopping would drop it, to sit until ack_wait and
   * cost a delivery); without a working connection there is nothing to keep.
   */
  private endFetch(why: string, drain: boolean): void {
    const iter = this.fetching;
    if (!iter) return;
    this.log.debug({ queue: this.o.queue, why }, 'ending the open fetch');
    if (drain) void drainFetch(iter);
    else iter.stop();
  }

  /** Resolves when a slot frees up or stop() begins. */
  private changed(): Promise<void> {
    if (this.stopCtl.signal.aborted) return Promise.resolve();
    // One promise until it resolves: the admission re-check asks again and again.
    this.nextChange ??= new Promise((resolve) =>
      this.waiters.push(() => {
        this.nextChange = undefined;
        resolve();
      }),
    );
    return this.nextChange;
  }

  /** One pending re-check at a time (each pause listens on the stop signal until its timer fires). */
  private admissionRecheck(): Promise<void> {
    this.recheck ??= this.pause(ADMISSION_RECHECK_MS).finally(() => {
      this.recheck = undefined;
    });
    return this.recheck;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0 || this.stopCtl.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.stopCtl.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.stopCtl.signal.addEventListener('abort', done, { once: true });
    });
  }

  // ---- handling ----

  private dispatch(s: Source, msg: JsMsg): void {
    const h: Held = { source: s, msg, settled: false, abort: new AbortController(), waitingForOutage: false };
    this.held.add(h);
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.held.size);
    this.metrics.inFlight.inc({ queue: s.queue });
    const heartbeat = setInterval(() => {
      if (!h.settled) msg.working();
    }, s.heartbeatMs);
    h.done = this.handle(h)
      .catch((e) => {
        // handle() settles every outcome itself; reaching here is a bug, and
        // the message falls back to redelivery after ack_wait.
        this.log.error({ queue: s.queue, seq: msg.seq, err: errorMessage(e) }, 'runner failed to settle a message');
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.held.delete(h);
        this.metrics.inFlight.dec({ queue: s.queue });
        this.wake();
      });
  }

  private async handle(h: Held): Promise<void> {
    // Aborted by the handler's own abort (stop's deadline) or by stop() itself: waits for a dependency end then.
    const wait = linkedSignal([h.abort.signal, this.stopCtl.signal]);
    try {
      await this.handleWith(h, wait.signal);
    } finally {
      wait.dispose();
    }
  }

  private async handleWith(h: Held, waitSignal: AbortSignal): Promise<void> {
    const { source: s, msg } = h;
    const decoded = decodeJob(s.queue, msg.data);
    if (!decoded.ok) {
      await this.deadLetter(h, 'invalid-payload', decoded.error);
      return;
    }
    const gate = this.o.gate;
    const deliveryCount = msg.info.deliveryCount;
    const isLastDelivery = s.maxDeliver > 0 && deliveryCount >= s.maxDeliver;
    const ctx: HandlerContext = {
      queue: s.queue,
      isBackup: s.isBackup,
      stream: s.stream,
      seq: msg.seq,
      msgId: msg.headers?.get('Nats-Msg-Id') || undefined,
      deliveryCount,
      maxDeliver: s.maxDeliver,
      isLastDelivery,
      signal: h.abort.signal,
      working: () => {
        if (!h.settled) msg.working();
      },
      retryOnOutage: (fn) =>
        gate
          ? this.holdingForOutage(h, () => gate.retry(fn, waitSignal))
          : fn(),
    };
    let unconfirmed = 0;
    for (;;) {
      // Fetched just before the gate closed: wait with the others (and go back at once on stop).
      if (gate && !gate.isOpen()) {
        await this.holdingForOutage(h, () => gate.whenOpen(waitSignal));
        if (h.settled) return;
        if (this.stopCtl.signal.aborted) return this.release(h);
      }
      const endTimer = this.metrics.duration.startTimer({ queue: s.queue });
      let failure: unknown;
      let failed = false;
      try {
        await s.handler(decoded.job, ctx);
      } catch (e) {
        failed = true;
        failure = e;
      } finally {
        endTimer();
      }
      // Released by stop() at its deadline: the message is no longer ours.
      if (h.settled) return;
      if (!failed) {
        gate?.noteSuccess();
        return this.ack(h);
      }
      const dependency = gate?.classify(failure);
      if (gate && dependency) {
        // A failure while stopping (an aborted wait, a closed pool) is not worth a delivery either.
        if (this.stopCtl.signal.aborted) return this.release(h);
        const outage = gate.report(dependency, failure);
        this.stats.heldForOutage++;
        this.record(s, 'held');
        this.log.warn(
          { queue: s.queue, seq: msg.seq, deliveryCount, dependency, err: errorMessage(failure) },
          'dependency unavailable: message held until it is back (no delivery spent)',
        );
        await this.holdingForOutage(h, () => gate.whenOpen(waitSignal));
        if (h.settled) return;
        if (this.stopCtl.signal.aborted) return this.release(h);
        unconfirmed = outage.failedProbes === 0 ? unconfirmed + 1 : 0;
        if (unconfirmed < MAX_UNCONFIRMED_OUTAGES) continue;
        failure = new Error(
          `${errorMessage(failure)} (failed ${unconfirmed} times with ${dependency} errors while ${dependency} answered its probe: taken as the message's own failure)`,
          { cause: failure },
        );
      }
      const error = errorMessage(failure);
      if (failure instanceof PermanentError) return this.deadLetter(h, 'permanent', error);
      if (isLastDelivery) return this.deadLetter(h, 'exhausted', error);
      const delayMs = this.retryDelay(deliveryCount, failure);
      h.settled = true;
      msg.nak(delayMs);
      this.record(s, 'retry');
      this.log.warn(
        { queue: s.queue, seq: msg.seq, deliveryCount, maxDeliver: s.maxDeliver, delayMs, err: error },
        'handler failed; retrying later',
      );
      return;
    }
  }

  private async holdingForOutage<T>(h: Held, wait: () => Promise<T>): Promise<T> {
    h.waitingForOutage = true;
    try {
      return await wait();
    } finally {
      h.waitingForOutage = false;
    }
  }

  /** Hands an unfinished message back for another process (nak, no delay). */
  private release(h: Held): void {
    if (h.settled) return;
    h.settled = true;
    h.msg.nak();
    this.record(h.source, 'released');
  }

  private async ack(h: Held): Promise<void> {
    const { source: s, msg } = h;
    h.settled = true;
    try {
      await msg.ackAck();
    } catch (e) {
      this.log.warn(
        { queue: s.queue, seq: msg.seq, err: errorMessage(e) },
        'ack not confirmed; the message may be redelivered (handlers are idempotent)',
      );
    }
    this.record(s, 'success');
  }

  /** DLQ first, then ack the original so it leaves the work stream. */
  private async deadLetter(h: Held, reason: DeadLetterReason, error: string): Promise<void> {
    const { source: s, msg } = h;
    try {
      const pub = await publishDeadLetter(this.js!, {
        queue: s.queue,
        originSeq: msg.seq,
        originSubject: msg.subject,
        data: msg.data,
        headers: msg.headers,
        deliveries: msg.info.deliveryCount,
        reason,
        error,
      });
      h.settled = true;
      await msg.ackAck().catch((e: unknown) => {
        // Already in the DLQ; a redelivery would be dead-lettered again under the same msgID.
        this.log.warn({ queue: s.queue, seq: msg.seq, err: errorMessage(e) }, 'ack after dead-lettering not confirmed');
      });
      if (!pub.duplicate) this.metrics.dlqMoves.inc({ queue: s.queue });
      this.record(s, reason === 'invalid-payload' ? 'invalid' : 'dead_letter');
      this.log.error(
        { queue: s.queue, seq: msg.seq, deliveries: msg.info.deliveryCount, reason, err: error, dlqSeq: pub.seq },
        'message dead-lettered',
      );
    } catch (e) {
      // The DLQ is unreachable: keep the message where it is and retry later
      // (on its last delivery, the advisory watcher takes over).
      const delayMs = this.retryDelay(msg.info.deliveryCount);
      h.settled = true;
      msg.nak(delayMs);
      this.record(s, 'retry');
      this.log.error(
        { queue: s.queue, seq: msg.seq, reason, err: error, dlqErr: errorMessage(e), delayMs },
        'could not dead-letter the message; it will be retried',
      );
    }
  }

  private retryDelay(deliveryCount: number, failure?: unknown): number {
    if (failure instanceof TransientError && failure.retryAfterMs !== undefined) return Math.max(0, failure.retryAfterMs);
    const base = this.o.retry?.baseMs ?? 1000;
    const max = this.o.retry?.maxMs ?? 60_000;
    const d = Math.min(base * 2 ** Math.max(0, deliveryCount - 1), max);
    return Math.round(d * (0.8 + 0.4 * Math.random()));
  }

  private record(s: Source, outcome: Outcome): void {
    this.metrics.processed.inc({ queue: s.queue, outcome });
    if (outcome === 'held') return; // counted where the hold starts (heldForOutage)
    const key = ({ success: 'succeeded', retry: 'retried', dead_letter: 'deadLettered', invalid: 'invalid', released: 'released' } as const)[outcome];
    this.stats[key]++;
  }

  // ---- stopping ----

  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    this.stopCtl.abort();
    this.wake();
    this.unsubscribeGate?.();
    this.stopWatchingConnection?.();
    if (!this.started) return;
    if (this.fetching) await drainFetch(this.fetching);
    await this.loopDone;
    const timeoutMs = this.o.shutdownTimeoutMs ?? 25_000;
    const held = this.held.size;
    const finished = await settledWithin([...this.held].map((h) => h.done!), timeoutMs);
    if (!finished) {
      const unfinished = [...this.held].filter((h) => !h.settled);
      for (const h of unfinished) {
        h.abort.abort(new Error(`runner ${this.o.queue} stopping: shutdown timeout of ${timeoutMs} ms reached`));
        this.release(h);
      }
      this.log.warn(
        { queue: this.o.queue, released: unfinished.map((h) => ({ queue: h.source.queue, seq: h.msg.seq })) },
        'shutdown timeout: unfinished messages handed back',
      );
      const graceMs = this.o.abortGraceMs ?? 2000;
      if (!(await settledWithin([...this.held].map((h) => h.done!), graceMs))) {
        this.log.error(
          { queue: this.o.queue, running: this.held.size },
          'handlers ignored their abort signal; their messages were already handed back',
        );
      }
    }
    await Promise.all(this.watchers.map((w) => w.stop()));
    this.log.info({ queue: this.o.queue, heldAtStop: held, stats: this.stats }, 'consumer runner stopped');
  }
}

/**
 * Ends a fetch without losing what is on the wire: drain() unsubscribes and
 * flushes, so every message the server sent before the unsubscribe is still
 * handed to the iterator (close() would drop them). Uses the fetch's
 * subscription, which nats.js does not put on the ConsumerMessages interface.
 */
async function drainFetch(iter: ConsumerMessages): Promise<void> {
  const sub = (iter as ConsumerMessages & { sub?: Subscription }).sub;
  if (sub && typeof sub.drain === 'function' && !sub.isClosed()) {
    // drain() fails when the connection is already closed: nothing is on the wire then.
    await sub.drain().catch(() => iter.close());
  } else {
    await iter.close();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function settledWithin(ps: Promise<unknown>[], ms: number): Promise<boolean> {
  if (ps.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.allSettled(ps).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
