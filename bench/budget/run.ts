/**
 * `npm run bench:budget`: the whole fleet's LLM budget against llm-sim as the
 * provider (account limit 250 RPS, 429 with Retry-After above it).
 *
 * N processes × M callers send requests through the real Redis limiter for
 * T seconds, twice: with the limiter at 200 (the seeds' 80 %: no 429 expected)
 * and misconfigured at 400 (429s expected; they must pause the whole fleet,
 * every call must still succeed, and the 429s must stay a small fraction).
 *
 *   npm run bench:budget -- [-n 4] [-m 60] [-t 15] [--latency 80]
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startLlmSim } from '@voc/llm-sim';
import { startTestStack } from '@voc/local-stack';
import type { BudgetTask, BudgetWorkerResult } from './worker';

const { values: a } = parseArgs({
  options: {
    processes: { type: 'string', short: 'n', default: process.env.BENCH_PROCESSES ?? '4' },
    callers: { type: 'string', short: 'm', default: process.env.BENCH_CALLERS ?? '60' },
    seconds: { type: 'string', short: 't', default: process.env.BENCH_SECONDS ?? '15' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '80' },
  },
});
const N = Number(a.processes);
const M = Number(a.callers);
const T = Number(a.seconds);
const ACCOUNT_LIMIT = 250;

function runWorker(task: BudgetTask): Promise<BudgetWorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as BudgetWorkerResult));
    child.once('exit', (code) => code !== 0 && reject(new Error(`budget worker exited with ${code}`)));
    child.send(task);
  });
}

async function scenario(redisUrl: string, limiterRps: number, marginMs = 10) {
  const sim = await startLlmSim({ port: 0, host: '127.0.0.1', latencyMs: Number(a.latency), jitterMs: 20, rpsLimit: ACCOUNT_LIMIT, errorRate: 0, malformedRate: 0 });
  try {
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: N }, () => runWorker({ redisUrl, baseUrl: sim.baseUrl, limiterRps, marginMs, callers: M, seconds: T })),
    );
    const elapsed = (Date.now() - t0) / 1000;
    const s = sim.stats();
    const sum = (k: keyof BudgetWorkerResult) => results.reduce((n, r) => n + (r[k] as number), 0);
    return {
      limiterRps,
      marginMs,
      ok: sum('ok'),
      failed: sum('failed'),
      requests: s.requests,
      rejected429: s.rejected429,
      share429: s.requests ? s.rejected429 / s.requests : 0,
      maxRequestsIn1s: s.maxRequestsIn1s,
      okRps: sum('ok') / elapsed,
      pausesSeen: sum('pauses'),
      processesThatPaused: results.filter((r) => r.pauses > 0).length,
      errors: results.flatMap((r) => r.errors).slice(0, 5),
    };
  } finally {
    await sim.stop();
  }
}

async function main() {
  const stack = await startTestStack({ redis: true });
  try {
    console.log(`budget bench: ${N} processes × ${M} callers, ${T} s per scenario, llm-sim account limit ${ACCOUNT_LIMIT} RPS, latency ${a.latency} ms`);
    const at200 = await scenario(stack.redisUrl, 200);
    const at200wide = await scenario(stack.redisUrl, 200, 25);
    const at400 = await scenario(stack.redisUrl, 400);
    const rows: [string, (r: typeof at200) => string][] = [
      ['calls succeeded', (r) => String(r.ok)],
      ['calls failed', (r) => String(r.failed)],
      ['requests seen by llm-sim', (r) => String(r.requests)],
      ['429 answers', (r) => String(r.rejected429)],
      ['429 share of requests', (r) => `${(r.share429 * 100).toFixed(2)} %`],
      ['busiest 1-s window at llm-sim', (r) => `${r.maxRequestsIn1s}${r.maxRequestsIn1s > ACCOUNT_LIMIT ? '  OVER' : ''}`],
      ['successful calls / s', (r) => r.okRps.toFixed(1)],
      ['limiter pauses (all processes)', (r) => String(r.pausesSeen)],
      ['processes that paused', (r) => `${r.processesThatPaused}/${N}`],
    ];
    const cols = [at200, at200wide, at400];
    console.log(`\n${''.padEnd(34)}${['limiter 200', '200, margin 25', 'limiter 400'].map((h) => h.padStart(16)).join('')}`);
    console.log('-'.repeat(34 + 16 * cols.length));
    for (const [label, f] of rows) console.log(`${label.padEnd(34)}${cols.map((c) => f(c).padStart(16)).join('')}`);
    console.log('(margin: LIMITER_MARGIN_MS, default 10. The limiter guarantees ≤ R grants in every 1-s window at grant');
    console.log(' time (bench:limiter); at the receiver, send and receive jitter on a loaded machine can put a request');
    console.log(' or two more into one second, whatever the margin — the account limit (250) is the headroom for it.)');
    const checks = {
      'limiter 200: no 429': at200.rejected429 === 0,
      'limiter 200: busiest second at llm-sim ≤ account limit 250': at200.maxRequestsIn1s <= ACCOUNT_LIMIT,
      'limiter 200, margin 25: no 429': at200wide.rejected429 === 0,
      'limiter 200: every call succeeded': at200.failed === 0,
      'limiter 400: 429s happened and paused the fleet': at400.rejected429 > 0 && at400.processesThatPaused === N,
      'limiter 400: every call succeeded': at400.failed === 0,
      'limiter 400: 429s < 10 % of requests': at400.share429 < 0.1,
    };
    console.log('');
    for (const [k, v] of Object.entries(checks)) console.log(`${v ? 'ok  ' : 'FAIL'}  ${k}`);
    const dir = path.resolve(__dirname, '../results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `budget-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ params: { N, M, T, latencyMs: Number(a.latency), accountLimit: ACCOUNT_LIMIT }, at200, at200wide, at400, checks }, null, 2));
    console.log(`\nJSON: ${path.relative(process.cwd(), file)}`);
    if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
