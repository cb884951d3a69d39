/**
 * The test bench a group of scenarios runs on: the whole pipeline of
 * `@voc/e2e` (real NATS, Redis and PostgreSQL, every service as a process,
 * llm-sim in this process), plus what a fault test needs around it — a
 * database pool that survives the database going away, a NATS connection of
 * its own (direct publishing, the DLQ, queue depths), the ledger of LLM
 * calls over llm-sim restarts, and the service and server controls.
 */
import { Pool } from 'pg';
import type { JetStreamManager, MsgRequest, NatsConnection } from 'nats';
import type { ServiceName } from '@voc/config';
import { GatewayClient, startPipeline, type Pipeline, type PipelineOptions } from '@voc/e2e';
import type { SimConfig } from '@voc/llm-sim';
import { connectNats, JS_ERR, jsErrorCode, listDeadLetters, queueStats, QUEUES, type QueueName } from '@voc/messaging';
import { parsePrometheus, sumSamples } from '@voc/two-hosts/harness';
import { CallLedger, type SimMode } from './ledger';
import type { ConsumerSample } from './stalls';

export type Say = (msg: string) => void;

export interface BenchOptions {
  label: string;
  sim: Partial<SimConfig>;
  env: Record<string, string>;
  stack?: PipelineOptions['stack'];
  say: Say;
}

/** Where each stage of a set of products stands. */
export interface Progress {
  stored: number;
  translated: number;
  insights: number;
  themes: number;
  /** Reviews whose every stage is done or failed. */
  final: number;
  learning: number;
  learned: number;
}

const QUIET_POLL_MS = 500;
/** Two benches of seven tsx-compiled services start at once on two cores (beside CI's other load): 90 s is not always enough. */
const READY_TIMEOUT_MS = 300_000;
/** A consumer watch looks this often, each look waiting at most CONSUMER_LOOK_TIMEOUT_MS, and stops after CONSUMER_WATCH_MAX_MS. */
const CONSUMER_LOOK_MS = 250;
const CONSUMER_LOOK_TIMEOUT_MS = 1000;
const CONSUMER_WATCH_MAX_MS = 15 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A service that exited without the bench stopping or killing it. */
export interface Crash {
  service: ServiceName;
  code: number | null;
  at: number;
}

/** Like compose's `restart: unless-stopped`: a service that exits on its own is started again after this long. */
const RESTART_DELAY_MS = 1000;

export class FaultBench {
  readonly ledger = new CallLedger();
  /** Every service exit the bench did not cause, in order (each was started again). */
  readonly crashes: Crash[] = [];
  private simRunning = true;
  private stopping = false;
  /** Pids the bench kills or stops on purpose. */
  private readonly expectedExits = new Set<number>();
  private readonly watched = new Set<number>();
  private supervisor?: NodeJS.Timeout;

  private constructor(
    readonly label: string,
    readonly p: Pipeline,
    readonly gw: GatewayClient,
    /** Polls and audits; queries time out instead of hanging on a hung server. */
    readonly pool: Pool,
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly simConfig: Partial<SimConfig>,
    private readonly say: Say,
  ) {}

  static async start(o: BenchOptions): Promise<FaultBench> {
    const p = await startPipeline({ sim: o.sim, env: o.env, readyTimeoutMs: READY_TIMEOUT_MS, ...(o.stack ? { stack: o.stack } : {}) });
    try {
      const pool = new Pool({ connectionString: p.stack.databaseUrl, max: 3, connectionTimeoutMillis: 3000, query_timeout: 5000, idleTimeoutMillis: 5000 });
      // A server that goes away mid-scenario breaks idle connections: the pool replaces them.
      pool.on('error', () => undefined);
      const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
      const nc = await connectNats({ url: p.stack.natsUrl, name: `faults-${o.label}`, log });
      const jsm = await nc.jetstreamManager();
      const bench = new FaultBench(o.label, p, new GatewayClient(p.gatewayUrl, p.apiKey), pool, nc, jsm, o.sim, o.say);
      bench.supervise();
      return bench;
    } catch (err) {
      await p.stop();
      throw err;
    }
  }

  get databaseUrl(): string {
    return this.p.stack.databaseUrl;
  }

  /** llm-sim's account limit (its 429 threshold). */
  get accountLimit(): number {
    return this.simConfig.rpsLimit ?? 250;
  }

  /** Watches every service process; one that exits on its own is recorded and started again. */
  private supervise(): void {
    const watch = () => {
      for (const [name, app] of this.p.apps) {
        if (this.watched.has(app.pid)) continue;
        this.watched.add(app.pid);
        void app.exited.then(async (code) => {
          if (this.stopping || this.expectedExits.has(app.pid)) return;
          this.crashes.push({ service: name, code, at: Date.now() });
          this.say(`${name} exited on its own (code ${code}); starting it again`);
          await sleep(RESTART_DELAY_MS);
          if (!this.stopping) await this.p.startService(name).catch((e: unknown) => this.say(`${name} did not start again: ${(e as Error).message}`));
        });
      }
    };
    watch();
    this.supervisor = setInterval(watch, 250);
  }

  private stopped?: Promise<void>;

  /** Stops everything the bench started (services, llm-sim, servers, temp dir); idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      clearInterval(this.supervisor);
      await this.nc.drain().catch(() => undefined);
      await this.pool.end().catch(() => undefined);
      await this.p.stop();
    })();
    return this.stopped;
  }

  // ---- llm-sim ----

  /** llm-sim's stats now, or undefined while it is stopped. */
  simStats() {
    return this.simRunning ? this.p.sim.stats() : undefined;
  }

  /** A new scenario: llm-sim back to normal if a previous one left it otherwise, its stats zeroed. */
  async beginCalls(): Promise<void> {
    if (!this.simRunning || this.ledger.currentMode !== 'normal') await this.switchSim('normal');
    this.p.sim.resetStats();
    this.ledger.begin('normal');
  }

  /** Restarts llm-sim on its port in `mode` with these settings on top of the bench's (`stopped`: leaves it down). */
  async switchSim(mode: SimMode | 'stopped', overrides: Partial<SimConfig> = {}): Promise<void> {
    if (this.simRunning) {
      const last = await this.p.stopSim();
      this.ledger.close(last, mode === 'stopped' ? 'down' : mode);
      this.simRunning = false;
    } else if (mode !== 'stopped') {
      this.ledger.close({ requests: 0, rejected429: 0, errors5xx: 0, malformed: 0, maxRequestsIn1s: 0 }, mode);
    }
    if (mode === 'stopped') return;
    await this.p.startSim(overrides);
    this.simRunning = true;
  }

  // ---- services ----

  /** Messages the service holds right now (its runners' in_flight gauges), or undefined if it does not answer. */
  async heldBy(name: ServiceName): Promise<number | undefined> {
    const app = this.p.apps.get(name);
    if (!app) return undefined;
    // The gateway serves /metrics on a port of its own; the workers on their health port.
    const url = name === 'gateway' ? this.p.gatewayMetricsUrl : `http://127.0.0.1:${app.port}/metrics`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return sumSamples(parsePrometheus(await res.text()), 'in_flight');
    } catch {
      return undefined;
    }
  }

  /** SIGKILL: the process dies holding whatever it holds. */
  async kill(name: ServiceName): Promise<void> {
    const app = this.p.apps.get(name);
    if (!app) throw new Error(`${name} is not running on bench ${this.label}`);
    this.expectedExits.add(app.pid);
    app.kill('SIGKILL');
    await app.exited;
  }

  /** Starts the service again (same port), as compose's restart policy would, and waits until it is ready. */
  async restart(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.p.startService(name, extraEnv);
  }

  // ---- progress and audits ----

  /** Where the products stand, or undefined while the database does not answer. */
  async progress(asins: readonly string[]): Promise<Progress | undefined> {
    try {
      const r = await this.pool.query(
        `SELECT count(*) AS stored,
                count(*) FILTER (WHERE translate_status = 'done') AS translated,
                count(*) FILTER (WHERE insight_status = 'done') AS insights,
                count(*) FILTER (WHERE theme_status = 'done') AS themes,
                count(*) FILTER (WHERE translate_status IN ('done', 'failed') AND insight_status IN ('done', 'failed') AND theme_status IN ('done', 'failed')) AS final,
                (SELECT count(*) FROM products WHERE asin = ANY($1::text[]) AND learning_state = 'learning') AS learning,
                (SELECT count(*) FROM products WHERE asin = ANY($1::text[]) AND learning_state = 'learned') AS learned
         FROM reviews WHERE asin = ANY($1::text[])`,
        [asins],
      );
      const row = r.rows[0] as Record<keyof Progress, string>;
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as Progress;
    } catch {
      return undefined;
    }
  }

  /** Polls `done` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
  async until(what: string, done: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await done().catch(() => false)) return true;
      if (Date.now() > deadline) {
        this.say(`${what}: not reached within ${Math.round(timeoutMs / 1000)} s`);
        return false;
      }
      await sleep(everyMs);
    }
  }

  /** Whether every work stream has nothing pending or in flight right now (false when NATS does not answer). */
  async idle(): Promise<boolean> {
    try {
      return Object.values(await queueStats(this.jsm)).every((s) => s.pending === 0 && s.inFlight === 0);
    } catch {
      return false;
    }
  }

  /** Each work stream's last sequence now: what is published later is a scenario's own work. */
  async streamMarks(): Promise<Record<QueueName, number>> {
    const queues = Object.keys(QUEUES) as QueueName[];
    const seqs = await Promise.all(queues.map(async (q) => (await this.jsm.streams.info(QUEUES[q].stream)).state.last_seq));
    return Object.fromEntries(queues.map((q, i) => [q, seqs[i]!])) as Record<QueueName, number>;
  }

  /**
   * Until no message published after `marks` is left in its work stream (a
   * work queue removes what is acked): the scenario's own work is done, late
   * redeliveries included, whatever an earlier scenario left behind.
   */
  async quietSince(marks: Record<QueueName, number>, timeoutMs: number): Promise<boolean> {
    return this.until("the scenario's messages settled", async () => (await this.leftSince(marks, 1)) === 0, timeoutMs, QUIET_POLL_MS);
  }

  /**
   * How many messages published after `marks` are still in their work
   * streams (a work queue removes what is acked): a scenario's own messages
   * left stranded or unsettled at its end, whatever earlier scenarios left.
   * Counts at most `max` per stream; undefined when NATS does not answer.
   */
  async leftSince(marks: Record<QueueName, number>, max = 10_000): Promise<number | undefined> {
    let n = 0;
    try {
      for (const q of Object.keys(marks) as QueueName[]) {
        for (let seq = marks[q] + 1, k = 0; k < max; k++) {
          try {
            const query = { seq, next_by_subj: QUEUES[q].subject } as unknown as MsgRequest;
            const m = await this.jsm.streams.getMessage(QUEUES[q].stream, query);
            n++;
            seq = m.seq + 1;
          } catch (err) {
            if (jsErrorCode(err) !== JS_ERR.NO_MESSAGE_FOUND) throw err;
            break;
          }
        }
      }
      return n;
    } catch {
      return undefined;
    }
  }

  /**
   * Looks at the consumers of `queues` every 250 ms (delivered so far,
   * waiting, held) until stopped: what a consumer stall is measured from.
   * A look NATS does not answer within 1 s is recorded without counts.
   */
  watchConsumers(queues: readonly QueueName[]): { stop(): Promise<Record<QueueName, ConsumerSample[]>> } {
    let stopped = false;
    const until = Date.now() + CONSUMER_WATCH_MAX_MS;
    const samples = Object.fromEntries(queues.map((q) => [q, [] as ConsumerSample[]])) as Record<QueueName, ConsumerSample[]>;
    const loops = (async () => {
      const jsm = await this.nc.jetstreamManager({ timeout: CONSUMER_LOOK_TIMEOUT_MS });
      await Promise.all(
        queues.map(async (q) => {
          while (!stopped && Date.now() < until) {
            const t = Date.now();
            try {
              const ci = await jsm.consumers.info(QUEUES[q].stream, QUEUES[q].durable);
              samples[q].push({ t, delivered: ci.delivered.consumer_seq, pending: ci.num_pending, ackPending: ci.num_ack_pending });
            } catch {
              samples[q].push({ t });
            }
            await sleep(Math.max(0, CONSUMER_LOOK_MS - (Date.now() - t)));
          }
        }),
      );
    })();
    return {
      stop: async () => {
        stopped = true;
        await loops.catch(() => undefined);
        return samples;
      },
    };
  }

  /** Messages stranded in the work streams (out of deliveries, never dead-lettered), and the DLQ's size, over the whole bench. */
  async streamTotals(): Promise<{ stranded: number; dlq: number }> {
    const q = Object.values(await queueStats(this.jsm));
    return { stranded: q.reduce((n, s) => n + s.stranded, 0), dlq: q.reduce((n, s) => n + s.dlq, 0) };
  }

  /** Dead letters whose job belongs to one of `asins`, with their reasons. */
  async deadLetters(asins: readonly string[]): Promise<{ queue: QueueName; reason: string; error: string }[]> {
    const wanted = new Set(asins);
    const out: { queue: QueueName; reason: string; error: string }[] = [];
    for (const queue of Object.keys(QUEUES) as QueueName[]) {
      for (let from = 1, guard = 0; guard < 100; guard++) {
        const page = await listDeadLetters(this.jsm, queue, 200, from);
        for (const e of page) {
          const asin = (e.job as { asin?: unknown } | undefined)?.asin;
          if (typeof asin === 'string' && wanted.has(asin)) out.push({ queue, reason: e.reason, error: e.error });
        }
        if (page.length < 200) break;
        from = page[page.length - 1]!.seq + 1;
      }
    }
    return out;
  }
}
