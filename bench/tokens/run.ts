/**
 * `npm run bench:tokens`: the fleet's token budget against llm-sim as the
 * provider with its token limit binding (LLM_SIM_TPM_LIMIT far below what
 * 200 RPS of this project's prompts needs: ~1,000 tokens a call × 200 =
 * 12 M TPM).
 *
 * N processes × M callers run the real LLM client (real prompts of real
 * reviews: translation batches, insights, themes) through the real Redis
 * limiter for T seconds, twice in the same run:
 *   - tokens: the two-dimensional limiter at MAX_API_RPS 200 and MAX_API_TPM
 *     at 80 % of the account's TPM (the new behaviour);
 *   - requests only: the same limiter with no token limit (how the fleet
 *     counted before issue 11).
 * Prints granted tokens ÷ the limit, 429s by cause, the busiest 1-s and 60-s
 * token windows at llm-sim, and writes JSON to bench/results/.
 *
 *   npm run bench:tokens -- [-n 4] [-m 40] [-t 75] [--sim-tpm 1200000] [--latency 300]
 *   npm run bench:tokens -- --pipeline   (the whole pipeline on real data: ./pipeline.ts)
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startLlmSim, type LlmSim, type SimStatsSnapshot } from '@voc/llm-sim';
import { startTestStack } from '@voc/local-stack';
import { loadReviewsByProduct } from '@voc/e2e';
import type { TokensTask, TokensWorkerResult } from './worker';

const { values: a } = parseArgs({
  options: {
    processes: { type: 'string', short: 'n', default: process.env.BENCH_PROCESSES ?? '4' },
    callers: { type: 'string', short: 'm', default: process.env.BENCH_CALLERS ?? '40' },
    seconds: { type: 'string', short: 't', default: process.env.BENCH_SECONDS ?? '75' },
    'sim-tpm': { type: 'string', default: process.env.BENCH_SIM_TPM ?? '1200000' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '300' },
    pipeline: { type: 'boolean', default: false },
    /** --pipeline: how many real reviews to upload. */
    reviews: { type: 'string', default: process.env.BENCH_REVIEWS ?? '1000' },
  },
  allowPositionals: true,
});

const N = Number(a.processes);
const M = Number(a.callers);
const T = Number(a.seconds);
const SIM_TPM = Number(a['sim-tpm']);
const FLEET_TPM = Math.floor(SIM_TPM * 0.8);
const RPS = 200;
const ACCOUNT_RPS = 250;
const RAMP_MS = 5000;
/** The first seconds (start-up jitter, the limiter's ramp) are left out of the steady-state rate. */
const WARMUP_S = 10;

interface Worker {
  ready: Promise<void>;
  go(at: number): void;
  result: Promise<TokensWorkerResult>;
}

/** Forks one fleet process; it reports ready (connected, limiter made), then runs from the parent's 'go'. */
function startWorker(task: TokensTask): Worker {
  const child = fork(path.join(__dirname, 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise<TokensWorkerResult>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean } & TokensWorkerResult) => (m.ready ? onReady() : resolve(m)));
    child.once('exit', (code) => code !== 0 && reject(new Error(`tokens worker exited with ${code}`)));
  });
  child.send(task);
  return { ready, go: (at) => child.send({ go: at }), result };
}

/** Samples llm-sim's counted tokens every second, for the steady-state rate. */
function sampler(sim: LlmSim) {
  const samples: { t: number; counted: number }[] = [];
  const timer = setInterval(() => samples.push({ t: Date.now(), counted: sim.stats().tokens.counted }), 1000);
  return {
    samples,
    stop: () => clearInterval(timer),
  };
}

async function scenario(redisUrl: string, label: string, tpm: number, reviews: { body: string; rating: number }[]) {
  const sim = await startLlmSim({
    port: 0,
    host: '127.0.0.1',
    latencyMs: Number(a.latency),
    jitterMs: Math.round(Number(a.latency) / 3),
    rpsLimit: ACCOUNT_RPS,
    tpmLimit: SIM_TPM,
    errorRate: 0,
    malformedRate: 0,
  });
  const s = sampler(sim);
  try {
    const share = Math.ceil(reviews.length / N);
    const workers = Array.from({ length: N }, (_, w) =>
      startWorker({ redisUrl, baseUrl: sim.baseUrl, key: `bench-tokens-${label}`, rps: RPS, tpm, rampMs: RAMP_MS, callers: M, seconds: T, reviews: reviews.slice(w * share, (w + 1) * share), worker: w }),
    );
    await Promise.all(workers.map((w) => w.ready));
    sim.resetStats();
    const t0 = Date.now();
    for (const w of workers) w.go(t0);
    const results = await Promise.all(workers.map((w) => w.result));
    const elapsed = (Date.now() - t0) / 1000;
    s.stop();
    const st: SimStatsSnapshot = sim.stats();
    const from = s.samples.find((x) => x.t >= t0 + WARMUP_S * 1000);
    const to = s.samples.filter((x) => x.t <= t0 + T * 1000).at(-1);
    const steadyRate = from && to && to.t > from.t ? (to.counted - from.counted) / ((to.t - from.t) / 1000) : 0;
    const sum = (k: 'ok' | 'failed' | 'settledTokens' | 'pauses') => results.reduce((n, r) => n + r[k], 0);
    return {
      label,
      fleetTpm: tpm,
      callsOk: sum('ok'),
      callsFailed: sum('failed'),
      requests: st.requests,
      rejected429: st.rejected429,
      rejected429ByCause: st.rejected429ByCause,
      share429: st.requests ? st.rejected429 / st.requests : 0,
      countedTokens: st.tokens.counted,
      steadyTokensPerS: steadyRate,
      /** Steady-state tokens counted at the sim ÷ the fleet's token limit (MAX_API_TPM / 60). */
      ofFleetLimit: steadyRate / (FLEET_TPM / 60),
      ofAccountLimit: steadyRate / (SIM_TPM / 60),
      maxTokensIn1s: st.maxTokensIn1s,
      maxTokensIn60s: st.maxTokensIn60s,
      maxRequestsIn1s: st.maxRequestsIn1s,
      okCallsPerS: sum('ok') / elapsed,
      pausesSeen: sum('pauses'),
      elapsedS: elapsed,
      errors: results.flatMap((r) => r.errors).slice(0, 5),
      /** Tokens counted at llm-sim in each second of the run. */
      perSecond: s.samples.filter((x) => x.t >= t0).map((x, i, all) => x.counted - (i > 0 ? all[i - 1]!.counted : 0)),
    };
  } finally {
    s.stop();
    await sim.stop();
  }
}

async function main() {
  if (a.pipeline) {
    const { runPipelineBench } = await import('./pipeline');
    return runPipelineBench({ simTpm: SIM_TPM, latencyMs: Number(a.latency), reviews: Number(a.reviews) });
  }
  const reviews = [...loadReviewsByProduct().values()].flat().filter((r) => r.body.trim());
  const stack = await startTestStack({ redis: true });
  try {
    console.log(
      `tokens bench: ${N} processes × ${M} callers, ${T} s per scenario; llm-sim account ${ACCOUNT_RPS} RPS and ${SIM_TPM} TPM (${SIM_TPM / 60}/s), latency ${a.latency} ms; fleet MAX_API_RPS ${RPS}, MAX_API_TPM ${FLEET_TPM}; ${reviews.length} real reviews`,
    );
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (shared with other work: figures are noisy)`);
    const tokens = await scenario(stack.redisUrl, 'tokens', FLEET_TPM, reviews);
    const requestsOnly = await scenario(stack.redisUrl, 'requests-only', 0, reviews);
    const cols = [tokens, requestsOnly];
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    const rows: [string, (r: typeof tokens) => string][] = [
      ['granted tokens ÷ fleet limit (steady)', (r) => pct(r.ofFleetLimit)],
      ['granted tokens ÷ account limit', (r) => pct(r.ofAccountLimit)],
      ['tokens/s counted at llm-sim (steady)', (r) => r.steadyTokensPerS.toFixed(0)],
      ['429 answers', (r) => String(r.rejected429)],
      ['  by cause requests/tokens/burst', (r) => `${r.rejected429ByCause.requests}/${r.rejected429ByCause.tokens}/${r.rejected429ByCause.burst}`],
      ['429 share of requests', (r) => pct(r.share429)],
      ['busiest 1-s token window', (r) => `${r.maxTokensIn1s}${r.maxTokensIn1s > SIM_TPM / 60 ? ' OVER' : ''}`],
      ['busiest 60-s token window', (r) => `${r.maxTokensIn60s}${r.maxTokensIn60s > SIM_TPM ? ' OVER' : ''}`],
      ['busiest 1-s request window', (r) => String(r.maxRequestsIn1s)],
      ['calls ok / failed', (r) => `${r.callsOk} / ${r.callsFailed}`],
      ['successful calls / s', (r) => r.okCallsPerS.toFixed(1)],
    ];
    console.log(`\n${''.padEnd(40)}${['tokens + requests', 'requests only'].map((h) => h.padStart(20)).join('')}`);
    console.log('-'.repeat(80));
    for (const [label, f] of rows) console.log(`${label.padEnd(40)}${cols.map((c) => f(c).padStart(20)).join('')}`);
    for (const c of cols) console.log(`tokens per second at llm-sim, ${c.label}: ${c.perSecond.join(' ')}`);
    console.log(`(account: ${SIM_TPM / 60} tokens/s, ${SIM_TPM} per 60 s; fleet limit ${FLEET_TPM / 60}/s. Steady = after the first ${WARMUP_S} s: start-up jitter and the limiter's ${RAMP_MS / 1000}-s ramp.)`);
    const checks = {
      'tokens: 0 × 429': tokens.rejected429 === 0,
      'tokens: no 1-s or 60-s window over the account': tokens.maxTokensIn1s <= SIM_TPM / 60 && tokens.maxTokensIn60s <= SIM_TPM,
      'tokens: ≥ 0.95 of the fleet token limit (steady)': tokens.ofFleetLimit >= 0.95,
      'tokens: every call succeeded': tokens.callsFailed === 0,
      'requests only: the token limit is what refuses (429 tokens)': requestsOnly.rejected429ByCause.tokens > 0,
    };
    console.log('');
    for (const [k, v] of Object.entries(checks)) console.log(`${v ? 'ok  ' : 'FAIL'}  ${k}`);
    const dir = path.resolve(__dirname, '../results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `tokens-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({ params: { N, M, T, simTpm: SIM_TPM, fleetTpm: FLEET_TPM, rps: RPS, latencyMs: Number(a.latency), loadavg: os.loadavg() }, tokens, requestsOnly, checks }, null, 2),
    );
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
