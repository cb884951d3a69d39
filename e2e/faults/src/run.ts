/**
 * `npm run test:faults`: the pipeline on real servers, one fault after
 * another, each followed by its invariant check, then the table.
 *
 *   node --import tsx e2e/faults/src/run.ts [--only a,b] [--seed N] [--full] [--keep-logs] [--list]
 *
 * Two benches at once (they share nothing but the machine): the main one
 * (one NATS server, Redis with its append-only file) runs poison, the kills,
 * the Redis and NATS restarts and PostgreSQL hung; the cluster one (three
 * NATS nodes) report-svc's kill, the LLM scenarios, PostgreSQL down and the node loss
 * (scenarios/index.ts). Each scenario sends products of its own, so
 * scenarios stay independent on one bench. Writes
 * bench/results/faults-<timestamp>.json; exits 0 only when every scenario
 * passed, else 1 (the failed invariants are printed by name).
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadReviewsByProduct, reviewDataPath, ROOT } from '@voc/e2e';
import { ensureBinaries } from '@voc/local-stack';
import { FaultBench } from './bench';
import { parseOptions, USAGE, type RunOptions } from './options';
import { Rng } from './random';
import { runScenario, type ScenarioDef, type ScenarioResult } from './scenario';
import { allScenarios } from './scenarios';
import { buildSchedule, type Schedule } from './schedule';
import { formatTable } from './table';
import { ReviewPool } from './workload';

// llm-sim runs in this process and restarts often: its start and stop lines would drown the progress.
process.env.LOG_LEVEL ??= 'warn';

const t0 = Date.now();
const say = (msg: string) => process.stdout.write(`[faults ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);

/** llm-sim as the provider: answers in 200 ± 100 ms, the account limit of qwen-plus-latest (250/s). */
const SIM = { latencyMs: 200, jitterMs: 100, rpsLimit: 250 };

const BENCHES: { name: ScenarioDef['bench']; stack: { natsNodes?: number; redisAppendOnly?: boolean } }[] = [
  { name: 'main', stack: { redisAppendOnly: true } },
  { name: 'cluster', stack: { natsNodes: 3 } },
];

/** How long a scenario waits for the other bench's signal (`after`) at most. */
const AFTER_TIMEOUT_MS = 30 * 60_000;

/** Named moments one bench waits for on the other: "<scenario>:fault", "<bench>:done". */
class Gates {
  private readonly fired = new Set<string>();
  private readonly waiters: { names: string[]; resolve: (ok: boolean) => void }[] = [];

  fire(name: string): void {
    this.fired.add(name);
    for (const w of this.waiters.filter((x) => x.names.includes(name))) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(true);
    }
  }

  /** Until any of `names` has fired; false after `timeoutMs`. */
  wait(names: string[], timeoutMs: number): Promise<boolean> {
    if (names.some((n) => this.fired.has(n))) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { names, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          resolve(false);
        }
      }, timeoutMs).unref();
    });
  }
}

const running = new Set<FaultBench>();
let stopping = false;
/** A bench did not start: the other lane stops after its current scenario (the run has failed anyway). */
let benchFailed = false;

/** A bench, tried twice (its services may be slow to start on a loaded machine); a failure stops the other lane too. */
async function startBench(b: (typeof BENCHES)[number], schedule: Schedule): Promise<FaultBench> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await FaultBench.start({ label: b.name, sim: SIM, env: schedule.env, stack: b.stack, say });
    } catch (err) {
      // Said now: the other bench may be minutes into its scenarios.
      say(`the ${b.name} bench did not start (attempt ${attempt} of 2): ${err instanceof Error ? err.message : String(err)}`);
      if (attempt >= 2 || stopping) {
        benchFailed = true;
        throw err;
      }
    }
  }
}

/** One bench and its scenarios, in order; the services' logs are kept when a scenario failed (or with --keep-logs). */
async function runLane(
  b: (typeof BENCHES)[number],
  defs: ScenarioDef[],
  all: ScenarioDef[],
  lane: { opts: RunOptions; schedule: Schedule; pool: ReviewPool; rng: Rng; gates: Gates; logsDir: string },
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const other = BENCHES.find((x) => x.name !== b.name)!.name;
  say(`starting the ${b.name} bench (${b.stack.natsNodes ? `${b.stack.natsNodes}-node NATS cluster` : 'one NATS server, Redis with its append-only file'})`);
  const bench = await startBench(b, lane.schedule);
  say(`the ${b.name} bench is ready`);
  running.add(bench);
  let failed = false;
  try {
    for (const def of defs) {
      if (stopping || benchFailed) break;
      if (def.after) {
        say(`${def.id}: waiting until ${def.after} has injected its fault on the other bench`);
        if (!(await lane.gates.wait([`${def.after}:fault`, `${other}:done`], AFTER_TIMEOUT_MS))) say(`${def.id}: waited long enough; starting`);
      }
      const r = await runScenario(def, all.indexOf(def) + 1, bench, lane.pool, lane.rng, lane.schedule, say, () => lane.gates.fire(`${def.id}:fault`));
      results.push(r);
      if (!r.figures.ok) failed = true;
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    lane.gates.fire(`${b.name}:done`);
    if (failed || lane.opts.keepLogs) {
      const to = path.join(lane.logsDir, b.name);
      mkdirSync(to, { recursive: true });
      cpSync(bench.p.logDir, to, { recursive: true });
      say(`services' logs kept in ${path.relative(ROOT, to)}`);
    }
    running.delete(bench);
    await bench.stop();
  }
  return results;
}

/** Both benches at once, each with its own scenarios; the results in the order of allScenarios(). */
async function runBenches(opts: RunOptions, schedule: Schedule, logsDir: string): Promise<ScenarioResult[]> {
  const all = allScenarios();
  const selected = all.filter((d) => opts.only.length === 0 || opts.only.includes(d.id));
  const pool = new ReviewPool(loadReviewsByProduct());
  const gates = new Gates();
  const lanes = BENCHES.map((b, i) => ({ b, defs: selected.filter((d) => d.bench === b.name), rng: new Rng((opts.seed + i * 0x9e3779b9) >>> 0) }))
    .filter((l) => l.defs.length > 0);
  for (const b of BENCHES) if (!lanes.some((l) => l.b === b)) gates.fire(`${b.name}:done`);
  const settled = await Promise.allSettled(lanes.map((l) => runLane(l.b, l.defs, all, { opts, schedule, pool, rng: l.rng, gates, logsDir })));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  const results = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  return results.sort((x, y) => all.findIndex((d) => d.id === x.observation.id) - all.findIndex((d) => d.id === y.observation.id));
}

async function main(): Promise<number> {
  const ids = allScenarios().map((d) => d.id);
  const opts = parseOptions(process.argv.slice(2), ids, () => Math.floor(Math.random() * 0xffffffff));
  if (opts.list) {
    const schedule = buildSchedule(opts.full);
    for (const d of allScenarios()) process.stdout.write(`${d.id.padEnd(16)} ${d.name}: ${d.fault(schedule)}\n`);
    return 0;
  }
  const schedule = buildSchedule(opts.full);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  say(`seed ${opts.seed} (--seed ${opts.seed} replays the fault points); schedule ${schedule.name}; data ${path.relative(ROOT, reviewDataPath())}`);
  say(`services' settings besides production's: ${Object.entries(schedule.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const [what, o] of [['PostgreSQL down', schedule.pgDown], ['PostgreSQL hung', schedule.pgHung], ['LLM down', schedule.llmDown]] as const) {
    say(`${what} ${Math.round(o.ms / 1000)} s: longer than ${o.why}`);
  }
  ensureBinaries(say);
  const results = await runBenches(opts, schedule, path.join(ROOT, '.voc', 'faults', stamp));
  const totalS = (Date.now() - t0) / 1000;
  process.stdout.write(`\n${formatTable(results, totalS)}\n\n`);
  const out = path.join(ROOT, 'bench', 'results', `faults-${stamp}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify({ run: 'faults', at: new Date().toISOString(), seed: opts.seed, options: opts, schedule, totalS, scenarios: results }, null, 2) + '\n',
  );
  say(`results written to ${path.relative(ROOT, out)}`);
  const ok = results.length > 0 && results.every((r) => r.figures.ok) && !stopping;
  say(ok ? `PASS: ${results.length} scenarios in ${(totalS / 60).toFixed(1)} min` : 'FAIL: see the failed checks above');
  return ok ? 0 : 1;
}

const stopAll = () => Promise.allSettled([...running].map((b) => b.stop()));

const onSignal = (sig: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  say(`${sig}: stopping every process`);
  void stopAll().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n${USAGE}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
