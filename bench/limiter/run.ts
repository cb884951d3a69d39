/**
 * Limiter benchmark: N processes × M callers for T seconds at limit R on a
 * real Redis, our limiter against the seed's, in two scenarios:
 *   saturate  every caller loops acquire() → record
 *   vip       the same, plus vip acquires paced at --vip-rps across the fleet
 * Reports achieved rate ÷ R, the most grants in any sliding 1-s window (exact,
 * over the merged grant times), Redis commands and round trips per grant,
 * wait percentiles and the share of vip demand served; writes JSON to
 * bench/results/limiter-<timestamp>.json.
 *
 *   npx tsx bench/limiter/run.ts [--processes N] [--callers M] [--seconds T] [--rps R] [--vip-rps V]
 *   [--margin-ms X]   our limiter's marginMs (default: the library's)
 * (or env BENCH_PROCESSES, BENCH_CALLERS, BENCH_SECONDS, BENCH_RPS, BENCH_VIP_RPS, BENCH_MARGIN_MS)
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startTestStack } from '@voc/local-stack';
import { summarize, type RunSummary, type WorkerResult } from './analysis';
import type { WorkerTask } from './worker';

interface BenchConfig {
  processes: number;
  callers: number;
  seconds: number;
  rps: number;
  vipRps: number;
  marginMs: number | undefined;
}

function readConfig(): BenchConfig {
  const { values } = parseArgs({
    options: {
      processes: { type: 'string', short: 'n' },
      callers: { type: 'string', short: 'm' },
      seconds: { type: 'string', short: 't' },
      rps: { type: 'string', short: 'r' },
      'vip-rps': { type: 'string' },
      'margin-ms': { type: 'string' },
    },
  });
  const pick = (flag: string | undefined, envName: string, def: number, integer: boolean): number => {
    const raw = flag ?? process.env[envName];
    const n = raw === undefined || raw === '' ? def : Number(raw);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${envName}: expected a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
    return n;
  };
  return {
    processes: pick(values.processes, 'BENCH_PROCESSES', 4, true),
    callers: pick(values.callers, 'BENCH_CALLERS', 100, true),
    seconds: pick(values.seconds, 'BENCH_SECONDS', 20, false),
    rps: pick(values.rps, 'BENCH_RPS', 200, false),
    vipRps: pick(values['vip-rps'], 'BENCH_VIP_RPS', 50, false),
    marginMs: values['margin-ms'] ?? process.env.BENCH_MARGIN_MS ? pick(values['margin-ms'], 'BENCH_MARGIN_MS', 10, false) : undefined,
  };
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const m = /total_commands_processed:(\d+)/.exec(await redis.info('stats'));
  if (!m) throw new Error('INFO stats has no total_commands_processed');
  return Number(m[1]);
}

/** Runs one algorithm × scenario in N fresh processes and collects what they report. */
async function runOnce(cfg: BenchConfig, redisUrl: string, algorithm: 'ours' | 'seed', scenario: 'saturate' | 'vip'): Promise<WorkerResult[]> {
  const key = `bench-${scenario}-${algorithm}-${Date.now()}`;
  const task: WorkerTask = {
    algorithm,
    redisUrl,
    key,
    rps: cfg.rps,
    callers: cfg.callers,
    seconds: cfg.seconds,
    vipRps: scenario === 'vip' ? cfg.vipRps / cfg.processes : 0,
    marginMs: cfg.marginMs,
  };
  const workerPath = path.join(__dirname, 'worker.ts');
  const children = Array.from({ length: cfg.processes }, () =>
    fork(workerPath, [JSON.stringify(task)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const exited = children.map(
    (c, i) =>
      new Promise<void>((resolve, reject) =>
        c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench worker ${i} (pid ${c.pid}) exited with ${code}`)))),
      ),
  );
  const message = (c: (typeof children)[number], type: string) =>
    new Promise<{ type: string; result?: WorkerResult }>((resolve) => {
      const on = (m: { type: string; result?: WorkerResult }) => {
        if (m.type !== type) return;
        c.off('message', on);
        resolve(m);
      };
      c.on('message', on);
    });
  try {
    await Promise.race([Promise.all(children.map((c) => message(c, 'ready'))), ...exited]);
    const results = children.map((c) => message(c, 'result'));
    // A common start a little ahead, on the system-wide monotonic clock.
    const startNs = process.hrtime.bigint() + 300_000_000n;
    for (const c of children) c.send({ type: 'start', startNs: startNs.toString() });
    const collected = await Promise.all(results.map((r) => r.then((m) => m.result as WorkerResult)));
    await Promise.all(exited);
    return collected;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
}

const fmt = {
  ratio: (v: number | null) => (v === null ? '–' : v.toFixed(3)),
  pct: (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`),
  ms: (v: number | null) => (v === null ? '–' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`),
  int: (v: number) => String(v),
};

function table(cfg: BenchConfig, runs: RunSummary[]): string {
  const get = (scenario: RunSummary['scenario'], algorithm: RunSummary['algorithm']) =>
    runs.find((r) => r.scenario === scenario && r.algorithm === algorithm) as RunSummary;
  const rows: [string, (r: RunSummary) => string][] = [
    ['grants', (r) => fmt.int(r.grants)],
    ['rate ÷ R (steady, 1 s…T)', (r) => fmt.ratio(r.rateOverR)],
    [`max grants in any 1-s window (R=${cfg.rps})`, (r) => `${r.maxWindow}${r.maxWindow > cfg.rps ? '  OVER' : ''}`],
    ['Redis commands / grant (server, incl. in scripts)', (r) => r.redisCommandsPerGrant.toFixed(2)],
    ['Redis round trips / grant (client)', (r) => r.roundTripsPerGrant.toFixed(2)],
    ['wait p50 (normal)', (r) => fmt.ms(r.waitP50Ms)],
    ['wait p99 (normal)', (r) => fmt.ms(r.waitP99Ms)],
  ];
  const vipRows: [string, (r: RunSummary) => string][] = [
    [`vip share served (${cfg.vipRps} RPS asked)`, (r) => `${fmt.pct(r.vipShare)} (${r.vipServed}/${r.vipIssued})`],
    ['vip wait p50', (r) => fmt.ms(r.vipWaitP50Ms)],
    ['vip wait p99', (r) => fmt.ms(r.vipWaitP99Ms)],
  ];
  const lines: string[] = [];
  const width = 52;
  const col = 22;
  const line = (a: string, b: string, c: string) => lines.push(`${a.padEnd(width)}${b.padStart(col)}${c.padStart(col)}`);
  for (const scenario of ['saturate', 'vip'] as const) {
    const title =
      scenario === 'saturate'
        ? `Scenario 1 — saturate: ${cfg.processes} processes × ${cfg.callers} callers, ${cfg.seconds} s, R = ${cfg.rps}`
        : `Scenario 2 — vip: the same + vip paced at ${cfg.vipRps} RPS across the processes`;
    lines.push('', title);
    line('', 'ours', 'seed');
    lines.push('-'.repeat(width + 2 * col));
    for (const [label, f] of scenario === 'vip' ? [...rows, ...vipRows] : rows) line(label, f(get(scenario, 'ours')), f(get(scenario, 'seed')));
    const d = get(scenario, 'ours').dropped;
    const dropped = Object.entries(d).filter(([, v]) => v > 0);
    if (dropped.length) lines.push(`  ours, reserved slots not used: ${dropped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cfg = readConfig();
  console.log(`limiter bench: N=${cfg.processes} M=${cfg.callers} T=${cfg.seconds}s R=${cfg.rps} vip=${cfg.vipRps} RPS (4 runs of T seconds)`);
  const stack = await startTestStack({ redis: true });
  const admin = new Redis(stack.redisUrl);
  const runs: RunSummary[] = [];
  try {
    for (const scenario of ['saturate', 'vip'] as const) {
      for (const algorithm of ['ours', 'seed'] as const) {
        process.stdout.write(`  ${scenario} / ${algorithm} … `);
        const before = await commandsProcessed(admin);
        const workers = await runOnce(cfg, stack.redisUrl, algorithm, scenario);
        // Minus the INFO call that reads `before` (counted once it has run).
        const redisCommands = (await commandsProcessed(admin)) - before - 1;
        const s = summarize({ algorithm, scenario, rps: cfg.rps, seconds: cfg.seconds, redisCommands }, workers);
        runs.push(s);
        console.log(`${s.grants} grants, max window ${s.maxWindow}`);
      }
    }
  } finally {
    admin.disconnect();
    await stack.stop();
  }
  console.log(table(cfg, runs));
  const outDir = path.join(__dirname, '..', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `limiter-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ config: cfg, node: process.version, runs }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  const ours = runs.filter((r) => r.algorithm === 'ours');
  const vip = ours.find((r) => r.scenario === 'vip');
  const ok =
    ours.every((r) => r.maxWindow <= cfg.rps) && ours.every((r) => r.rateOverR >= 0.98) && (vip?.vipShare ?? 0) >= 0.95;
  console.log(ok ? 'ours: within every target' : 'ours: MISSED a target (max window ≤ R, rate ≥ 0.98 R, vip share ≥ 95 %)');
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
