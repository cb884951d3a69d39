/**
 * Limiter benchmark: N processes × M callers for T seconds at limit R on a
 * real Redis, our limiter against the seed's, in four scenarios:
 *   saturate  every caller loops acquire() → record
 *   vip       the same, plus vip acquires paced at --vip-rps across the fleet
 *   busy      saturate, with every process's event loop blocked now and then
 *             (busy-waits of --busy-ms, on average every --busy-every-ms)
 *   tokens    saturate with calls of --tokens tokens at --tpm (ours only: the
 *             seed counts requests), settled 1–3 s later with a few % less
 * Reports achieved rate ÷ R (and tokens ÷ the token limit), the most grants
 * and tokens in any sliding 1-s window (exact, over the merged grant times),
 * Redis commands and round trips per grant, wait percentiles and the vip
 * share and waits; writes JSON to bench/results/limiter-<timestamp>.json.
 *
 *   npx tsx bench/limiter/run.ts [--processes N] [--callers M] [--seconds T] [--rps R] [--vip-rps V]
 *     [--margin-ms X] [--ramp-ms X] [--busy-ms 5-30] [--busy-every-ms 200] [--tokens 1000-3000] [--tpm 960000]
 *     [--only saturate,vip,busy,tokens] [--tuning '{"normalHorizonMs":100}' (more options for ours)]
 * (or env BENCH_PROCESSES, BENCH_CALLERS, BENCH_SECONDS, BENCH_RPS, BENCH_VIP_RPS, BENCH_MARGIN_MS, …)
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startTestStack } from '@voc/local-stack';
import { summarize, type RunSummary, type Scenario, type WorkerResult } from './analysis';
import { DEFAULT_TUNING, type LimiterTuning } from '@voc/rate-limiter';
import type { BusyLoad, TokenLoad, WorkerTask } from './worker';

const SCENARIOS: readonly Scenario[] = ['saturate', 'vip', 'busy', 'tokens'];

interface BenchConfig {
  processes: number;
  callers: number;
  seconds: number;
  rps: number;
  vipRps: number;
  marginMs: number | undefined;
  rampMs: number;
  busy: BusyLoad;
  tokens: TokenLoad;
  only: readonly Scenario[];
  tuning: LimiterTuning;
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
      'ramp-ms': { type: 'string' },
      'busy-ms': { type: 'string' },
      'busy-every-ms': { type: 'string' },
      tokens: { type: 'string' },
      tpm: { type: 'string' },
      only: { type: 'string' },
      tuning: { type: 'string' },
    },
  });
  const raw = (flag: string | undefined, envName: string) => flag ?? process.env[envName];
  const pick = (flag: string | undefined, envName: string, def: number, integer: boolean, min = 0): number => {
    const r = raw(flag, envName);
    const n = r === undefined || r === '' ? def : Number(r);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new Error(`${envName}: expected a ${integer ? 'whole' : ''} number >= ${min}, got ${r}`);
    }
    return n;
  };
  const range = (flag: string | undefined, envName: string, def: [number, number]): [number, number] => {
    const r = raw(flag, envName);
    if (r === undefined || r === '') return def;
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(r);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`${envName}: expected a range like 5-30, got ${r}`);
    return [Number(m[1]), Number(m[2])];
  };
  const [busyMin, busyMax] = range(values['busy-ms'], 'BENCH_BUSY_MS', [5, 30]);
  const [tokMin, tokMax] = range(values.tokens, 'BENCH_TOKENS', [1000, 3000]);
  const only = (raw(values.only, 'BENCH_ONLY') ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()) as Scenario[];
  for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario '${s}' (${SCENARIOS.join(', ')})`);
  return {
    processes: pick(values.processes, 'BENCH_PROCESSES', 4, true, 1),
    callers: pick(values.callers, 'BENCH_CALLERS', 100, true, 1),
    seconds: pick(values.seconds, 'BENCH_SECONDS', 20, false, 1),
    rps: pick(values.rps, 'BENCH_RPS', 200, false, 1),
    vipRps: pick(values['vip-rps'], 'BENCH_VIP_RPS', 50, false, 1),
    marginMs: raw(values['margin-ms'], 'BENCH_MARGIN_MS') ? pick(values['margin-ms'], 'BENCH_MARGIN_MS', 10, false, 1) : undefined,
    // The steady state by default: the ramp has tests of its own.
    rampMs: pick(values['ramp-ms'], 'BENCH_RAMP_MS', 0, true, 0),
    busy: { everyMs: pick(values['busy-every-ms'], 'BENCH_BUSY_EVERY_MS', 200, false, 1), minMs: busyMin, maxMs: busyMax },
    tokens: { min: tokMin, max: tokMax, tpm: pick(values.tpm, 'BENCH_TPM', 960_000, true, 1) },
    only,
    tuning: JSON.parse(raw(values.tuning, 'BENCH_TUNING') ?? '{}') as LimiterTuning,
  };
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const m = /total_commands_processed:(\d+)/.exec(await redis.info('stats'));
  if (!m) throw new Error('INFO stats has no total_commands_processed');
  return Number(m[1]);
}

/** Runs one algorithm × scenario in N fresh processes and collects what they report. */
async function runOnce(cfg: BenchConfig, redisUrl: string, algorithm: 'ours' | 'seed', scenario: Scenario): Promise<WorkerResult[]> {
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
    rampMs: cfg.rampMs,
    busy: scenario === 'busy' ? cfg.busy : null,
    tokens: scenario === 'tokens' ? cfg.tokens : null,
    tuning: cfg.tuning,
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
  const tps = Math.floor(cfg.tokens.tpm / 60);
  const get = (scenario: Scenario, algorithm: RunSummary['algorithm']) => runs.find((r) => r.scenario === scenario && r.algorithm === algorithm);
  const rows: [string, (r: RunSummary) => string][] = [
    ['grants', (r) => fmt.int(r.grants)],
    ['rate ÷ R (steady, 2 s…T)', (r) => fmt.ratio(r.rateOverR)],
    [`max grants in any 1-s window (R=${cfg.rps})`, (r) => `${r.maxWindow}${r.maxWindow > cfg.rps ? '  OVER' : ''}`],
    ['  … as the callers resumed', (r) => String(r.maxWindowResumed)],
    ['Redis commands / grant (server, incl. in scripts)', (r) => r.redisCommandsPerGrant.toFixed(2)],
    ['Redis round trips / grant (client)', (r) => r.roundTripsPerGrant.toFixed(2)],
    [`grant after its slot's time, p99 / most (margin ${cfg.marginMs ?? DEFAULT_TUNING.marginMs} ms)`, (r) => (r.lateMaxMs === null ? '–' : `${fmt.ms(r.lateP99Ms)} / ${fmt.ms(r.lateMaxMs)}`)],
    ['CPU ms / grant (all processes, incl. load)', (r) => r.cpuMsPerGrant.toFixed(2)],
    ['wait p50 (normal, issued in the steady part)', (r) => fmt.ms(r.waitP50Ms)],
    ['wait p99 (normal)', (r) => fmt.ms(r.waitP99Ms)],
  ];
  const extra: Record<Scenario, [string, (r: RunSummary) => string][]> = {
    saturate: [],
    vip: [
      [`vip share served (${cfg.vipRps} RPS asked)`, (r) => `${fmt.pct(r.vipShare)} (${r.vipServed}/${r.vipIssued})`],
      ['vip wait p50', (r) => fmt.ms(r.vipWaitP50Ms)],
      ['vip wait p99', (r) => fmt.ms(r.vipWaitP99Ms)],
    ],
    busy: [['event loop blocked (share of time, per process)', (r) => fmt.pct(r.busyShare)]],
    tokens: [
      [`tokens ÷ TPS (steady, counted; TPS=${tps})`, (r) => fmt.ratio(r.tokensOverTps)],
      ['max tokens in any 1-s window (counted)', (r) => `${r.maxWindowTokens}${r.maxWindowTokens > tps ? '  OVER' : ''}`],
    ],
  };
  const titles: Record<Scenario, string> = {
    saturate: `Scenario 1 — saturate: ${cfg.processes} processes × ${cfg.callers} callers, ${cfg.seconds} s, R = ${cfg.rps}`,
    vip: `Scenario 2 — vip: the same + vip paced at ${cfg.vipRps} RPS across the processes`,
    busy: `Scenario 3 — busy: saturate, each event loop blocked ${cfg.busy.minMs}–${cfg.busy.maxMs} ms every ~${cfg.busy.everyMs} ms`,
    tokens: `Scenario 4 — tokens: saturate with calls of ${cfg.tokens.min}–${cfg.tokens.max} tokens, TPM ${cfg.tokens.tpm} (tokens bind)`,
  };
  const lines: string[] = [];
  const width = 52;
  const col = 22;
  const line = (a: string, b: string, c: string) => lines.push(`${a.padEnd(width)}${b.padStart(col)}${c.padStart(col)}`);
  for (const scenario of cfg.only) {
    const ours = get(scenario, 'ours');
    if (!ours) continue;
    const seed = get(scenario, 'seed');
    lines.push('', titles[scenario]);
    line('', 'ours', seed ? 'seed' : 'seed (no tokens)');
    lines.push('-'.repeat(width + 2 * col));
    for (const [label, f] of [...rows, ...extra[scenario]]) line(label, f(ours), seed ? f(seed) : '–');
    const dropped = Object.entries(ours.dropped).filter(([, v]) => v > 0);
    if (dropped.length) lines.push(`  ours, reserved slots not used: ${dropped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cfg = readConfig();
  // The seed counts requests only: no tokens run for it.
  const plan: [Scenario, 'ours' | 'seed'][] = cfg.only.flatMap((s): [Scenario, 'ours' | 'seed'][] =>
    s === 'tokens' ? [[s, 'ours']] : [[s, 'ours'], [s, 'seed']],
  );
  console.log(
    `limiter bench: N=${cfg.processes} M=${cfg.callers} T=${cfg.seconds}s R=${cfg.rps} vip=${cfg.vipRps} RPS (${plan.length} runs of T seconds)`,
  );
  const stack = await startTestStack({ redis: true });
  const admin = new Redis(stack.redisUrl);
  const runs: RunSummary[] = [];
  try {
    for (const [scenario, algorithm] of plan) {
      process.stdout.write(`  ${scenario} / ${algorithm} … `);
      const before = await commandsProcessed(admin);
      const workers = await runOnce(cfg, stack.redisUrl, algorithm, scenario);
      // Minus the INFO call that reads `before` (counted once it has run).
      const redisCommands = (await commandsProcessed(admin)) - before - 1;
      const s = summarize(
        {
          algorithm,
          scenario,
          rps: cfg.rps,
          tps: scenario === 'tokens' ? Math.floor(cfg.tokens.tpm / 60) : null,
          seconds: cfg.seconds,
          // Past the fence of a new key (1.3 s) and any ramp.
          steadyFromMs: 2000 + (algorithm === 'ours' ? cfg.rampMs : 0),
          redisCommands,
        },
        workers,
      );
      runs.push(s);
      if (process.env.BENCH_DUMP && algorithm === 'ours' && s.maxWindow > cfg.rps && s.maxWindowAtMs !== null) {
        const from = s.maxWindowAtMs - 50;
        const near = workers.flatMap((w, p) =>
          w.grants.map((at, i) => ({ at, p, vip: w.vip[i] })).filter((g) => g.at >= from && g.at < from + 1100),
        );
        near.sort((a, b) => a.at - b.at);
        writeFileSync(`/tmp/limiter-window-${scenario}-${algorithm}.json`, JSON.stringify({ start: s.maxWindowAtMs, near }));
      }
      console.log(`${s.grants} grants, max window ${s.maxWindow}${scenario === 'tokens' ? `, max tokens ${s.maxWindowTokens}` : ''}`);
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
  const ours = (s: Scenario) => runs.find((r) => r.scenario === s && r.algorithm === 'ours');
  const tps = Math.floor(cfg.tokens.tpm / 60);
  const checks: [string, boolean][] = [
    ['max window ≤ R', runs.filter((r) => r.algorithm === 'ours').every((r) => r.maxWindow <= cfg.rps)],
    ['max tokens window ≤ TPS', (ours('tokens')?.maxWindowTokens ?? 0) <= tps],
    ['saturate rate ≥ 0.98 R', (ours('saturate')?.rateOverR ?? 1) >= 0.98],
    ['vip share ≥ 95 %', (ours('vip')?.vipShare ?? 1) >= 0.95],
    ['vip p99 ≤ 100 ms', (ours('vip')?.vipWaitP99Ms ?? 0) <= 100],
    ['round trips ≤ 0.3 / grant (saturate)', (ours('saturate')?.roundTripsPerGrant ?? 0) <= 0.3],
  ];
  const missed = checks.filter(([, ok]) => !ok).map(([name]) => name);
  console.log(missed.length === 0 ? 'ours: within every target' : `ours: MISSED ${missed.join('; ')}`);
  process.exitCode = missed.length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
