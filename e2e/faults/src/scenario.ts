/**
 * How one scenario runs on a bench, the same way for all of them: wait until
 * the previous one has left nothing in the queues, zero llm-sim's counters,
 * let the scenario send its work and inject its fault, wait (bounded) until
 * every review it got accepted is final, wait for the queues to go quiet
 * again (so late duplicates are counted here), then audit its own products
 * and compute its figures. A scenario's `restore` always runs, so a failed
 * one leaves the bench usable for the next.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceEnvironment, type ServiceName } from '@voc/config';
import type { QueueName } from '@voc/messaging';
import { pipelineSettingsFromEnv } from '@voc/pipeline';
import { limiterConfigFromEnv } from '@voc/rate-limiter';
import { auditReviews, rejectedReviews, stageEvents } from './audit';
import type { FaultBench, Progress, Say } from './bench';
import { computeFigures, type Acceptance, type BoundPart, type ScenarioFigures, type ScenarioObservation } from './figures';
import { summarizeCalls } from './ledger';
import { countClientTimeouts } from './timeouts';
import { plannedCalls, type PlannedCalls } from './plan';
import type { Rng } from './random';
import type { Schedule } from './schedule';
import { longestConsumerStall, longestSilence, longestStall, type ConsumerSample } from './stalls';
import { ReviewPool, Workload } from './workload';

export interface ScenarioContext {
  bench: FaultBench;
  work: Workload;
  rng: Rng;
  schedule: Schedule;
  say: Say;
  /** The fault begins now (the scenario's clock reads from here for the timeline). */
  faultStarts(): void;
  /** The fault is over (the dependency is back, the service restarted): recovery is timed from here. */
  faultEnds(): void;
  note(msg: string): void;
  /** Reports the scenario requested (report-svc's scenario). */
  reports: string[];
  /**
   * Waits (bounded) until every accepted review is final; the first time it
   * is, that is the scenario's recovery time. runScenario calls it after
   * run(); a scenario that must act after recovery (bring a node back) calls it itself.
   */
  waitFinal(timeoutMs: number): Promise<boolean>;
  /** Starts looking at these stages' consumers (runScenario measures their stalls from the looks). */
  watchConsumers(stages: readonly StalledStage[]): void;
}

/** The stages whose consumer stalls are measured, and the service whose CONCURRENCY is each one's room. */
export const STALL_STAGES = { INGEST: 'ingest-svc', TRANSLATE: 'translate-svc', INSIGHT: 'insight-svc', THEME: 'theme-svc' } as const satisfies Partial<
  Record<QueueName, ServiceName>
>;
export type StalledStage = keyof typeof STALL_STAGES;

export interface ScenarioDef {
  id: string;
  name: string;
  bench: 'main' | 'cluster';
  /**
   * Waits, on its own bench, until this scenario of the other bench has
   * injected its fault (or that bench is done): a scenario that measures
   * stalls runs while the other bench sits out a long outage, not while it
   * is busy (the two benches share the machine's CPU).
   */
  after?: string;
  /** The fault, one line, for the notes under the table. */
  fault(schedule: Schedule): string;
  /** Extra LLM calls allowed besides the fault answers, each with its reason. */
  redo(planned: PlannedCalls): BoundPart[];
  acceptance: Acceptance;
  /** Time allowed, after the fault ended, for every accepted review to become final. */
  recoverMs: number;
  run(ctx: ScenarioContext): Promise<void>;
  /** Undoes the fault if run() stopped half-way (a server left down or paused, llm-sim stopped). */
  restore?(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioResult {
  observation: ScenarioObservation;
  figures: ScenarioFigures;
}

/** After a recovery: long enough for late redeliveries; after a scenario that did not recover, what is left will not go away. */
const QUIET_AFTER_MS = 60_000;
const QUIET_AFTER_FAILURE_MS = 10_000;

/** Messages a service can hold at once (its CONCURRENCY as deployed by `npm start` and the e2e fixture). */
export function concurrencyOf(name: ServiceName): number {
  return Number(serviceEnvironment(name).CONCURRENCY ?? 1);
}

/**
 * Work in flight when a fault hit a stage may be done again once: at most
 * what its processes hold (CONCURRENCY messages, each one LLM call for
 * translation and learning, ANALYSIS_CHUNK_SIZE calls for insight and
 * theme), and never more than the stage's planned calls.
 */
export function heldWork(stages: readonly ('translate' | 'learning' | 'insight' | 'theme')[], planned: PlannedCalls): BoundPart[] {
  const chunk = pipelineSettingsFromEnv({}).ANALYSIS_CHUNK_SIZE;
  const parts: Record<(typeof stages)[number], BoundPart> = {
    translate: { calls: Math.min(planned.translate + planned.bullets, concurrencyOf('translate-svc')), why: 'translation redone (messages translate-svc held)' },
    learning: {
      // insight-svc and theme-svc hold LEARNING messages too, as its backup.
      calls: Math.min(planned.learning, concurrencyOf('learning-svc') + concurrencyOf('insight-svc') + concurrencyOf('theme-svc')),
      why: 'learning redone',
    },
    insight: { calls: Math.min(planned.insight, concurrencyOf('insight-svc') * chunk), why: 'insights redone (messages insight-svc held)' },
    theme: { calls: Math.min(planned.theme, concurrencyOf('theme-svc') * chunk), why: 'themes redone (messages theme-svc held)' },
  };
  return stages.map((s) => parts[s]);
}

export const ALL_LLM_STAGES = ['translate', 'learning', 'insight', 'theme'] as const;

/**
 * Waits until `stage` has reached `fraction` of the scenario's reviews (all
 * it sends, accepted yet or not; bounded) and says where it stood; false
 * when it ran out of time.
 */
export async function midRun(ctx: ScenarioContext, stage: keyof Progress, fraction: number, timeoutMs = 120_000): Promise<boolean> {
  const total = ctx.work.products.reduce((n, p) => n + p.reviews.length, 0);
  const target = Math.max(1, Math.floor(total * fraction));
  const ok = await ctx.bench.until(`${stage} at ${Math.round(fraction * 100)} %`, async () => ((await ctx.bench.progress(ctx.work.asins))?.[stage] ?? 0) >= target, timeoutMs, 100);
  const now = await ctx.bench.progress(ctx.work.asins);
  ctx.note(`fault at ${stage} ${now?.[stage] ?? '?'} of ${total} (target ${Math.round(fraction * 100)} %)${ok ? '' : ', target not reached in time'}`);
  return ok;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runScenario(
  def: ScenarioDef,
  n: number,
  bench: FaultBench,
  pool: ReviewPool,
  rng: Rng,
  schedule: Schedule,
  say: Say,
  /** Told when the fault is injected (the other bench may be waiting for it). */
  onFault: () => void = () => undefined,
): Promise<ScenarioResult> {
  const log: Say = (msg) => say(`${def.id}: ${msg}`);
  const notes: string[] = [];
  // What an earlier scenario that did not recover left behind may still call the LLM: say so.
  if (!(await bench.idle())) notes.push('work of an earlier scenario was still in the queues when it started');
  await bench.beginCalls();
  const marks = await bench.streamMarks();
  const t0 = Date.now();
  let faultAt: number | undefined;
  let faultEndedAt: number | undefined;
  let recoveredAt: number | null = null;
  const asins = () => ctx.work.asins;
  let watch: { stages: readonly StalledStage[]; stop(): Promise<Record<QueueName, ConsumerSample[]>> } | undefined;
  const ctx: ScenarioContext = {
    bench,
    work: new Workload(n, pool),
    rng,
    schedule,
    say: log,
    faultStarts: () => {
      faultAt = Date.now() - t0;
      log('fault injected');
      onFault();
    },
    faultEnds: () => {
      faultEndedAt = Date.now() - t0;
      log(`fault over after ${((faultEndedAt - (faultAt ?? faultEndedAt)) / 1000).toFixed(1)} s`);
    },
    note: (msg) => {
      notes.push(msg);
      log(msg);
    },
    reports: [],
    async waitFinal(timeoutMs) {
      if (recoveredAt !== null) return true;
      // Before the fault (a scenario preparing its ground) being final is no recovery.
      const recovering = faultAt !== undefined;
      // Final: every stored review done or failed at every stage, and every accepted one stored or recorded as rejected.
      const ok = await bench.until(
        'every accepted review final',
        async () => {
          const p = await bench.progress(asins());
          if (!p || ctx.work.accepted.size === 0) return false;
          const rejected = (await rejectedReviews(bench.pool, asins())).size;
          return p.final === p.stored && p.stored + rejected >= ctx.work.accepted.size;
        },
        timeoutMs,
        500,
      );
      if (ok && recovering) recoveredAt = Date.now() - t0;
      return ok;
    },
    watchConsumers(stages) {
      watch ??= { stages, ...bench.watchConsumers(stages) };
    },
  };
  log(`${def.name}: ${def.fault(schedule)}`);
  try {
    await def.run(ctx);
  } catch (err) {
    ctx.note(`the scenario stopped early: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (def.restore) await def.restore(ctx).catch((e: unknown) => ctx.note(`restore failed: ${(e as Error).message}`));
  }
  faultAt ??= Date.now() - t0;
  faultEndedAt ??= Date.now() - t0;

  const finished = await ctx.waitFinal(def.recoverMs);
  const samples = await watch?.stop();
  log(finished ? `every accepted review final ${((recoveredAt! - faultEndedAt) / 1000).toFixed(1)} s after the fault` : 'did not recover in time');
  const products = asins();
  if (!(await bench.quietSince(marks, finished ? QUIET_AFTER_MS : QUIET_AFTER_FAILURE_MS))) notes.push("the scenario's messages had not all settled at the end");

  const planned = plannedCalls(ctx.work.messages, ctx.work.bullets);
  const segments = bench.ledger.segments(bench.simStats());
  const calls = summarizeCalls(segments);
  notes.push(
    `LLM: ${calls.requests} calls (${planned.total} planned), busiest second ${calls.busiestSecond}, ` +
      `${calls.rejected429} × 429, ${calls.errors5xx} × 5xx, ${calls.malformed} malformed` +
      (calls.restarts ? `, llm-sim restarted ${calls.restarts} times` : ''),
  );
  const { reviews, duplicates } = await auditReviews(bench.pool, bench.databaseUrl, products, ctx.work.accepted, ctx.work.poison);
  const dead = await bench.deadLetters(products);
  const totals = await bench.streamTotals();
  if (totals.dlq) notes.push(`${dead.length} dead letters of this scenario's products (${totals.dlq} in the bench's DLQ)`);
  for (const d of dead.slice(0, 3)) notes.push(`dead letter (${d.queue}, ${d.reason}): ${d.error.slice(0, 160)}`);
  const redo = def.redo(planned).filter((p) => p.calls > 0);
  if (ctx.work.poisonBullets.size) redo.push({ calls: ctx.work.poisonBullets.size, why: 'storable bullet points of a poisoned list translated' });
  // While the provider is down every request is already a fault answer; otherwise a client timeout is one too.
  if (!segments.some((s) => s.mode === 'down')) {
    const timeouts = clientTimeoutsSince(bench.p.logDir, t0, Date.now());
    if (timeouts > 0) redo.push({ calls: timeouts, why: "answers later than the clients' LLM_TIMEOUT_MS (each sent again once)" });
  }
  if (calls.restarts > 0) {
    // Stopping llm-sim aborts the answers in flight: at most the fleet's rate times the longest answer time.
    const perRestart = Math.ceil((limiterConfigFromEnv(bench.p.env).rps * ((bench.simConfig.latencyMs ?? 0) + (bench.simConfig.jitterMs ?? 0))) / 1000);
    redo.push({ calls: calls.restarts * perRestart, why: `answers in flight when llm-sim restarted (${calls.restarts} × ${perRestart})` });
  }
  let stalls: Record<string, number> | undefined;
  let leaderless: Record<string, number> | undefined;
  if (def.acceptance.maxStallMs !== undefined) {
    const from = t0 + faultAt;
    const to = t0 + (recoveredAt ?? Date.now() - t0);
    // The check: each consumer's longest time with work waiting, room to take it, and no delivery.
    if (watch && samples) {
      stalls = Object.fromEntries(watch.stages.map((q) => [q, longestConsumerStall(samples[q], concurrencyOf(STALL_STAGES[q]), from, to)]));
      // And each consumer's time without a leader (its looks unanswered), work waiting or not.
      leaderless = Object.fromEntries(watch.stages.map((q) => [q, longestSilence(samples[q], from, to)]));
      const fmt = (r: Record<string, number>) => Object.entries(r).map(([q, ms]) => `${q} ${(ms / 1000).toFixed(1)} s`).join(', ');
      notes.push(`longest consumer stall: ${fmt(stalls)}; longest time without a leader: ${fmt(leaderless)}`);
    }
    // For the notes: the longest gap in each stage's completions (a busy stage, e.g. chunks of 100 reviews, has gaps too).
    const events = await stageEvents(bench.pool, products);
    const gaps = Object.entries(events).map(([stage, ev]) => `${stage} ${(longestStall(ev, from, to) / 1000).toFixed(1)} s`);
    notes.push(`longest gap in completions while reviews waited: ${gaps.join(', ')}`);
  }
  let reports: ScenarioObservation['reports'];
  if (ctx.reports.length) {
    const r = await bench.pool.query<{ n: string }>(`SELECT count(*) AS n FROM reports WHERE id = ANY($1::text[]) AND status = 'ready'`, [ctx.reports]);
    reports = { requested: ctx.reports.length, ready: Number(r.rows[0]?.n ?? 0) };
  }
  const observation: ScenarioObservation = {
    id: def.id,
    name: def.name,
    fault: def.fault(schedule),
    reviews,
    duplicates,
    planned,
    calls,
    redo,
    accountLimit: bench.accountLimit,
    dlq: dead.length,
    // Only this scenario's messages: an earlier one that did not recover may have left some of its own.
    stranded: (await bench.leftSince(marks)) ?? totals.stranded,
    timeline: { faultAt, faultEndedAt, recoveredAt },
    ...(stalls ? { stalls } : {}),
    ...(leaderless ? { leaderless } : {}),
    ...(reports ? { reports } : {}),
    crashes: bench.crashes.filter((c) => c.at >= t0).map((c) => ({ service: c.service, code: c.code })),
    acceptance: def.acceptance,
    notes,
  };
  const figures = computeFigures(observation);
  log(figures.ok ? 'PASS' : `FAIL: ${figures.checks.filter((c) => !c.ok).map((c) => c.name).join('; ')}`);
  return { observation, figures };
}

/** Client timeouts the services logged in [from, to]; 0 when the logs cannot be read (the bound is then the stricter one). */
function clientTimeoutsSince(logDir: string, from: number, to: number): number {
  try {
    let n = 0;
    for (const f of readdirSync(logDir).filter((x) => x.endsWith('.log'))) {
      n += countClientTimeouts(readFileSync(path.join(logDir, f), 'utf8').split('\n'), from, to);
    }
    return n;
  } catch {
    return 0;
  }
}
