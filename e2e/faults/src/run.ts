/**
 * `npm run test:faults`: the pipeline on real servers, one fault after
 * another, each followed by its invariant check, then the table.
 *
 *   node --import tsx e2e/faults/src/run.ts [--only a,b] [--seed N] [--full] [--keep-logs] [--list]
 *
 * Two benches: the main one (single NATS server, Redis with its append-only
 * file) runs every scenario but the NATS node loss, which runs on a second
 * bench with a three-node NATS cluster. Each scenario sends products of its
 * own, so they stay independent on one bench. Writes
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

const t0 = Date.now();
const say = (msg: string) => process.stdout.write(`[faults ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);

/** llm-sim as the provider: answers in 200 ± 100 ms, the account limit of qwen-plus-latest (250/s). */
const SIM = { latencyMs: 200, jitterMs: 100, rpsLimit: 250 };

const BENCHES: { name: ScenarioDef['bench']; stack: { natsNodes?: number; redisAppendOnly?: boolean } }[] = [
  { name: 'main', stack: { redisAppendOnly: true } },
  { name: 'cluster', stack: { natsNodes: 3 } },
];

let current: FaultBench | undefined;
let stopping = false;

async function runBenches(opts: RunOptions, schedule: Schedule, logsDir: string): Promise<ScenarioResult[]> {
  const all = allScenarios();
  const selected = all.filter((d) => opts.only.length === 0 || opts.only.includes(d.id));
  const pool = new ReviewPool(loadReviewsByProduct());
  const rng = new Rng(opts.seed);
  const results: ScenarioResult[] = [];
  for (const b of BENCHES) {
    const defs = selected.filter((d) => d.bench === b.name);
    if (defs.length === 0) continue;
    say(`starting the ${b.name} bench (${b.stack.natsNodes ? `${b.stack.natsNodes}-node NATS cluster` : 'one NATS server, Redis with its append-only file'})`);
    const bench = await FaultBench.start({ label: b.name, sim: SIM, env: schedule.env, stack: b.stack, say });
    current = bench;
    let failed = false;
    try {
      for (const def of defs) {
        if (stopping) break;
        const r = await runScenario(def, all.indexOf(def) + 1, bench, pool, rng, schedule, say);
        results.push(r);
        if (!r.figures.ok) failed = true;
      }
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      if (failed || opts.keepLogs) {
        const to = path.join(logsDir, b.name);
        mkdirSync(to, { recursive: true });
        cpSync(bench.p.logDir, to, { recursive: true });
        say(`services' logs kept in ${path.relative(ROOT, to)}`);
      }
      current = undefined;
      await bench.stop();
    }
  }
  return results;
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

const onSignal = (sig: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  say(`${sig}: stopping every process`);
  void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n${USAGE}\n`);
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  },
);
