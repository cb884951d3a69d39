import type Redis from 'ioredis';
import { z } from 'zod';
import { loadServiceConfig, type ServiceName } from '@voc/config';
import type { PrismaClient } from '@voc/db';
import { CallSlots, createLlmClient, llmConfigFromEnv, SendThread, type LlmClient } from '@voc/llm';
import { createConsumerRunner, ensureConsumer, serveRunnerStatus, type ConsumerRunner, type QueueName, type RunnerOptions } from '@voc/messaging';
import { createRateLimiter, limiterConfigFromEnv, limiterOptionsFor, startupJitter, type Priority, type RateLimiter } from '@voc/rate-limiter';
import { runService, type ServiceContext } from '@voc/service-kit';
import { useDb, useNats, useRedis, type NatsDeps } from './connect';
import { useDependencyGate } from './outages';
import { workerEnv, type WorkerConfig } from './config';
import { retryStartup, startFresh } from './retry';
import { UsageRecorder } from './usage';

/** What a worker's consumers and tasks are built from. */
export interface WorkerDeps {
  ctx: ServiceContext;
  nats: NatsDeps;
  db: PrismaClient;
  redis: Redis;
  /** Present when the worker was declared with `llm`. */
  llm?: LlmClient;
  limiter?: RateLimiter;
  /** The process's self-sized open LLM calls (with `llm`): the runners take messages as fast as these can start them. */
  slots?: CallSlots;
}

/** A consumer of one queue; the runner's plumbing options are filled in by startWorker. */
export type ConsumerSpec = {
  [Q in QueueName]: Omit<RunnerOptions<Q>, 'nc' | 'log' | 'registry' | 'concurrency' | 'admission'> & {
    concurrency?: number;
    /**
     * With the worker's LLM call slots: hold about one message per slot (+1),
     * so messages are pulled only as fast as their call can start (default
     * true: a message is one call, as in translation and learning). False
     * for a message of many calls (an analysis chunk fills up to
     * PARALLEL_SIZE slots by itself): CONCURRENCY chunks are held.
     */
    admitBySlots?: boolean;
  };
}[QueueName];

/** A periodic job of the worker (the sweeper), started after the consumers, stopped before them. */
export interface BackgroundTask {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface WorkerSpec<S extends z.ZodRawShape> {
  name: ServiceName;
  /** The service's own variables, on top of workerEnv. */
  env?: S;
  /** Declares that the worker calls the LLM; `priority` picks the seed's start-up jitter. */
  llm?: { priority: Priority };
  consumers: (deps: WorkerDeps, cfg: WorkerConfig & z.infer<z.ZodObject<S>>) => ConsumerSpec[];
  /**
   * Names the dependency an error shows to be down (the pipeline's
   * `dependencyOf`), or undefined for the message's own failure. With it, the
   * consumers hold messages through outages instead of spending their
   * deliveries (see @voc/messaging "Outages"), and readiness names what is down.
   */
  outages?: (err: unknown) => string | undefined;
  tasks?: (deps: WorkerDeps, cfg: WorkerConfig & z.infer<z.ZodObject<S>>) => BackgroundTask[];
}

/**
 * The one way a worker service starts: validate config (fail fast naming the
 * variable), connect NATS/PostgreSQL/Redis (and the limiter + LLM client when
 * declared), provision streams and consumers, wait the seed's start-up jitter,
 * then pull. SIGTERM stops pulling, drains what is held, and closes
 * connections in reverse order.
 */
export async function startWorker<S extends z.ZodRawShape>(spec: WorkerSpec<S>) {
  const schema = z.object({ ...workerEnv, ...(spec.env ?? ({} as S)) });
  const cfg = loadServiceConfig(spec.name, schema) as WorkerConfig & z.infer<z.ZodObject<S>>;
  const llmCfg = spec.llm ? { llm: llmConfigFromEnv(), limiter: limiterConfigFromEnv(process.env, spec.name) } : undefined;

  return runService({
    name: spec.name,
    port: cfg.HEALTH_PORT,
    shutdownTimeoutMs: cfg.SHUTDOWN_TIMEOUT_MS + 5000,
    async start(ctx) {
      const db = useDb(ctx, cfg);
      const redis = useRedis(ctx, cfg.REDIS_URL);
      const nats = await useNats(ctx, cfg);
      const deps: WorkerDeps = { ctx, nats, db, redis };

      if (llmCfg) {
        // Both budgets of LLM_MODEL (MAX_API_RPS, MAX_API_TPM), its lanes and tuning.
        // Slots handed off ahead are sent on time only by a send thread; from the event loop they would be as late as before.
        const handoffMs = llmCfg.llm.sendThread ? llmCfg.limiter.handoffMs : 0;
        const limiter = createRateLimiter({ redis, ...limiterOptionsFor(llmCfg.limiter, llmCfg.llm.model), handoffMs, registry: ctx.registry, log: ctx.log });
        ctx.onShutdown('limiter', () => limiter.close());
        const usage = new UsageRecorder(db, ctx.log);
        // Registered after the database, so it runs before it on shutdown: the last tallies are written.
        usage.start();
        ctx.onShutdown('llm-usage', () => usage.stop());
        deps.limiter = limiter;
        const slots = new CallSlots({
          ...llmCfg.llm.inFlight,
          order: llmCfg.llm.slotOrder,
          backlog: () => limiter.backlog(),
          service: spec.name,
          registry: ctx.registry,
        });
        ctx.onShutdown('llm call slots', () => slots.close());
        deps.slots = slots;
        // Registered before the consumers: closed after they drained.
        const sendThread = llmCfg.llm.sendThread ? new SendThread() : undefined;
        sendThread?.start();
        if (sendThread) ctx.onShutdown('llm send thread', () => sendThread.close());
        deps.llm = createLlmClient({
          baseUrl: llmCfg.llm.baseUrl,
          apiKey: llmCfg.llm.apiKey,
          model: llmCfg.llm.model,
          timeoutMs: llmCfg.llm.timeoutMs,
          maxRetries: llmCfg.llm.maxRetries,
          prices: llmCfg.llm.prices,
          haltProbeEveryMs: llmCfg.llm.haltProbeEveryMs,
          limiter,
          service: spec.name,
          registry: ctx.registry,
          log: ctx.log,
          onUsage: usage.record,
          slots,
          ...(sendThread ? { sendThread } : {}),
        });
        // Seed 001: stagger restarts so a fleet coming back does not spike the API.
        const slept = await startupJitter(spec.llm!.priority);
        ctx.log.info({ sleptMs: Math.round(slept) }, 'start-up jitter');
      }

      const gate = spec.outages ? useDependencyGate(ctx, { classify: spec.outages, nats, db, redis, llm: deps.llm, watchRedis: !!spec.llm }) : undefined;
      const consumers = spec.consumers(deps, cfg);
      for (const c of consumers) {
        await retryStartup(`provisioning consumer ${c.queue}`, () => ensureConsumer(nats.jsm, c.queue), ctx.log);
        // A borrowed durable (the learning backup) is created if missing, never re-configured.
        const backup = c.backup?.queue;
        if (backup) await retryStartup(`provisioning consumer ${backup}`, () => ensureConsumer(nats.jsm, backup, {}, { update: false }), ctx.log);
      }
      const runners: ConsumerRunner[] = [];
      const status = serveRunnerStatus(nats.nc, () => runners.map((r) => r.status()), ctx.log);
      ctx.onShutdown('runner status', () => {
        if (!nats.nc.isClosed()) status.unsubscribe();
      });
      for (const c of consumers) {
        const { admitBySlots = true, ...options } = c;
        const slots = admitBySlots ? deps.slots : undefined;
        const runner = await startFresh(
          `starting consumer ${c.queue}`,
          () =>
            createConsumerRunner({
              ...(options as RunnerOptions<QueueName>),
              ...(slots ? { admission: () => slots.state().limit + 1 } : {}),
              nc: nats.nc,
              concurrency: c.concurrency ?? cfg.CONCURRENCY,
              log: ctx.log,
              registry: ctx.registry,
              shutdownTimeoutMs: cfg.SHUTDOWN_TIMEOUT_MS,
              identity: { service: spec.name, node: process.env.NODE_NAME ?? 'local' },
              ...(gate ? { gate } : {}),
            }),
          ctx.log,
        );
        runners.push(runner);
        ctx.onShutdown(`consumer ${c.queue}`, () => runner.stop());
        ctx.log.info({ queue: c.queue, backup: c.backup?.queue, concurrency: c.concurrency ?? cfg.CONCURRENCY }, 'consuming');
      }
      for (const t of spec.tasks?.(deps, cfg) ?? []) {
        t.start();
        ctx.onShutdown(`task ${t.name}`, () => t.stop());
      }
    },
  });
}

/** For main.ts: start the worker; if start-up fails, say why on stderr and exit 1. */
export function runWorker<S extends z.ZodRawShape>(spec: WorkerSpec<S>): void {
  startWorker(spec).catch((err: unknown) => {
    console.error(`${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
