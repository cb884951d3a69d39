/**
 * `npm run bench:pipeline` (issue 12 item 6): real reviews through the
 * gateway of a whole local stack (every service as a process, as `npm start`
 * runs them: bundles, node flags, CPU classes; NATS, Redis, PostgreSQL;
 * llm-sim at the account limit of 250 RPS) at several provider latencies
 * (jitter ± a third), once per configuration, a fresh stack each time. Per
 * latency and configuration it prints LLM calls, tokens, wall time, the
 * bound — max(calls ÷ request rate, tokens ÷ token rate) plus the critical
 * path (a product's learning call before its first analysis call: 2 ×
 * latency) — and the share of it reached, time to first complete product,
 * calls per stage, peak LLM calls in flight, peak RSS per service, 429s, and
 * where the budget went idle and why: every second the fleet used < 95 % of
 * its budget gets one cause (causes.ts). Writes JSON (with every second's
 * sample) to bench/results/.
 *
 *   npm run bench:pipeline -- [--latencies 300,1000,3000,8000] [--reviews 8000]
 *     [--config default] [--config fixed] [--config 'big=translate-svc:CONCURRENCY=200,LLM_MAX_IN_FLIGHT=800']
 *     [--rps 200] [--tpm 0] [--timeout 1800] [--out file.json]
 *   npm run bench:pipeline -- --reanalyse bench/results/pipeline-….json   (the tables again from its samples; starts nothing)
 *
 * A configuration is `default` (what `npm start` runs: self-sized LLM call
 * slots), `fixed` (the fixed caps of before issue 12, as the throttle), or
 * `name=VAR=value,service:VAR=value,…` (the defaults plus those variables, for
 * every service or for one); both presets run unless --config says otherwise. --config may repeat, or hold several separated
 * by ';'. --tpm sets MAX_API_TPM (and llm-sim's account TPM to it ÷ 0.8);
 * 0, the default, leaves the token budget out (requests only), since the
 * model's default token limit (960,000 TPM) would bind at a few dozen calls a
 * second and hide what the issue is about: the request budget at latency.
 *
 * Heavy: serialize it with other runs (`flock /tmp/voc-heavy.lock npm run bench:pipeline`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from 'nats';
import { NODE_RUNTIME_ENV, nodeFlagsOf, SERVICES, type ServiceName } from '@voc/config';
import { GatewayClient, ROOT, startPipeline, toUpload, type DataReview, type Pipeline } from '@voc/e2e';
import { bundleApps } from '@voc/local-stack';
import { DEFAULT_TUNING } from '@voc/rate-limiter';
import { LLM_SIM_NICE } from '@voc/two-hosts/harness';
import { CAUSES, classify, productDone, tally, type Second } from './causes';
import { capsOf, parseConfig, type BenchConfig } from './config';
import { benchProducts } from './products';
import { bucketQuantiles, LLM_SERVICES, takeSample, type LlmService, type Sample } from './sampler';

const { values: a } = parseArgs({
  options: {
    latencies: { type: 'string', default: '300,1000,3000,8000' },
    reviews: { type: 'string', default: '8000' },
    config: { type: 'string', multiple: true, default: ['default', 'fixed'] },
    rps: { type: 'string', default: '200' },
    tpm: { type: 'string', default: '0' },
    /** Per run: the most seconds from the first upload to every product analysed. */
    timeout: { type: 'string', default: '1800' },
    out: { type: 'string' },
    /** Reads a JSON this bench wrote and prints its tables again from its samples (causes as classified now); starts nothing. */
    reanalyse: { type: 'string' },
  },
});

const LATENCIES = a.latencies!.split(',').map(Number).filter((n) => n > 0);
// let: --reanalyse takes them from the JSON it reads.
let RPS = Number(a.rps);
let TPM = Number(a.tpm);
const ACCOUNT_RPS = 250;
const TIMEOUT_MS = Number(a.timeout) * 1000;
/** Reviews per upload, uploads at once: as the plug-ins upload. */
const UPLOAD_SIZE = 100;
const UPLOADERS = 4;

let current: { p: Pipeline; nc?: NatsConnection } | undefined;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true;
    console.error(`\n${sig}: stopping the stack…`);
    const c = current;
    current = undefined;
    // While a stack starts, runOne stops it once startPipeline() returns (it sees `interrupted`).
    if (!c) return;
    void (async () => {
      await c?.nc?.close().catch(() => {});
      await c?.p.stop().catch((err: unknown) => console.error(err));
      process.exit(130);
    })();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

interface RunResult {
  latencyMs: number;
  config: BenchConfig;
  caps: Record<LlmService, number>;
  reviews: number;
  completed: boolean;
  loadBefore: number[];
  loadAfter: number[];
  wallS: number;
  calls: number;
  admitted: number;
  rejected429: number;
  rejected429ByCause: Record<string, number>;
  busiestSecondAtSim: number;
  tokensCounted: number;
  tokensPromptCompletion: { prompt: number; completion: number; cached: number };
  callsByKind: Record<string, number>;
  bound: { callsS: number; tokensS: number; criticalPathS: number; totalS: number };
  shareOfBound: number;
  firstCompleteProductS: number | null;
  productDoneS: (number | null)[];
  productLearnedS: (number | null)[];
  peakInFlight: number;
  peakInFlightByService: Record<string, number>;
  peakWaiting: number;
  peakRssMb: Record<string, number>;
  idleSeconds: Record<string, number>;
  /** Slots the limiter reserved and did not use, by reason, over the run (every LLM service). */
  droppedSlots: Record<string, number>;
  /** Grants over the run (every LLM service). */
  grants: number;
  /** Mean cores used over the run per service (process + children), by llm-sim, by this process (uploads, sampling), and the machine's busy share. */
  cpuCores: Record<string, number>;
  machineBusy: number | null;
  /** Per LLM service: the largest event-loop lag p99 and mean (ms) its /metrics showed during the run. */
  loopLagMs: Record<string, { p99: number; mean: number }>;
  /** The limiter's margin in this configuration (LIMITER_MARGIN_MS). */
  marginMs: number;
  /** Per LLM service: how late its due slots were reached over the run (rate_limiter_dispatch_lateness_seconds): bucket bounds of p50/p90/p99 in ms, and the share beyond the margin. */
  slotLateness: Record<string, { p50Ms: number; p90Ms: number; p99Ms: number; beyondMargin: number; slots: number }>;
  failedReviews: number;
  slowSamples: number;
  seconds: Second[];
  samples: Sample[];
}

async function runOne(latencyMs: number, cfg: BenchConfig, products: [string, DataReview[]][]): Promise<RunResult> {
  const total = products.reduce((s, [, rs]) => s + rs.length, 0);
  const caps = capsOf(cfg);
  const loadBefore = os.loadavg();
  console.log(`\n— latency ${latencyMs} ms ± ${Math.round(latencyMs / 3)} · config ${cfg.name} · caps ${LLM_SERVICES.map((n) => `${n.replace('-svc', '')} ${caps[n]}`).join(', ')} · load ${load()}`);
  const p = await startPipeline({
    runtime: 'bundle',
    nodeFlags: nodeFlagsOf,
    cpuClasses: true,
    readyTimeoutMs: 180_000,
    env: { ...NODE_RUNTIME_ENV, MAX_API_RPS: String(RPS), MAX_API_TPM: String(TPM), LOG_LEVEL: 'warn', ...cfg.env },
    serviceEnv: cfg.serviceEnv,
    sim: { latencyMs, jitterMs: Math.round(latencyMs / 3), rpsLimit: ACCOUNT_RPS, tpmLimit: TPM > 0 ? Math.round(TPM / 0.8) : 0 },
    // The provider is another machine: its own process, at test:ha's priority, so that it counts
    // requests when they arrive (in this process, sampling and its event loop made it count late).
    simProcess: { nice: LLM_SIM_NICE },
  });
  if (interrupted) {
    await p.stop();
    process.exit(130);
  }
  current = { p };
  const nc = await connect({ servers: p.stack.natsUrl, name: 'bench-pipeline' });
  current.nc = nc;
  const samples: Sample[] = [];
  try {
    const jsm = await nc.jetstreamManager();
    const gw = new GatewayClient(p.gatewayUrl, p.apiKey);
    const asins = products.map(([asin]) => asin);
    const sizes = products.map(([, rs]) => rs.length);
    await p.simClient.reset();
    const t0 = Date.now();
    const uploads = products.flatMap(([asin, rs]) => Array.from({ length: Math.ceil(rs.length / UPLOAD_SIZE) }, (_, i) => [asin, rs.slice(i * UPLOAD_SIZE, (i + 1) * UPLOAD_SIZE)] as const));
    const uploading = Promise.all(
      Array.from({ length: UPLOADERS }, async () => {
        for (let u = uploads.shift(); u && !interrupted; u = uploads.shift()) {
          const r = await gw.upload(u[0], u[1].map(toUpload));
          if (r.status !== 202) throw new Error(`upload ${u[0]}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        }
      }),
    );
    let uploadError: unknown;
    uploading.catch((err: unknown) => (uploadError = err));
    // Once a second until every product is analysed (or the timeout): bounded by TIMEOUT_MS / 1 s samples.
    let completed = false;
    for (let i = 0; i < TIMEOUT_MS / 1000 + 1 && !interrupted; i++) {
      const next = t0 + (i + 1) * 1000;
      const s = await takeSample({ p, gw, jsm, asins, t0 });
      samples.push(s);
      if (uploadError) throw uploadError;
      if (s.products.every((pp, k) => productDone(pp, sizes[k]!))) {
        completed = true;
        break;
      }
      if (i % 15 === 14) {
        const open = s.products.filter((pp, k) => !productDone(pp, sizes[k]!)).length;
        const inFlight = LLM_SERVICES.reduce((n, k) => n + (s.services[k]?.inFlight ?? 0), 0);
        const slots = LLM_SERVICES.map((k) => `${k.replace('-svc', '')} ${s.services[k]?.slotsLimit ?? '-'}`).join(' ');
        console.log(`  ${(s.t / 1000).toFixed(0)} s: ${s.sim.requests} calls, ${inFlight} in flight, slots ${slots}, ${open} products open, load ${load()}`);
      }
      await sleep(Math.max(0, next - Date.now()));
    }
    if (interrupted) throw new Error('interrupted');
    await uploading;
    const last = samples.at(-1)!;
    const st = await p.simClient.stats();
    const admitted = st.requests - st.rejected429;
    const failed = last.products.reduce((n, pp) => n + (pp?.failed ?? 0), 0);
    return derive({
      latencyMs,
      config: cfg,
      caps,
      reviews: total,
      completed,
      loadBefore,
      loadAfter: os.loadavg(),
      wallS: last.t / 1000,
      calls: st.requests,
      admitted,
      rejected429: st.rejected429,
      rejected429ByCause: st.rejected429ByCause,
      busiestSecondAtSim: st.maxRequestsIn1s,
      tokensCounted: st.tokens.counted,
      tokensPromptCompletion: { prompt: st.tokens.prompt, completion: st.tokens.completion, cached: st.tokens.cached },
      callsByKind: st.byKind,
      failedReviews: failed,
      samples,
    }, sizes);
  } finally {
    current = undefined;
    await nc.close().catch(() => {});
    await p.stop();
  }
}

type Measured = Pick<
  RunResult,
  | 'latencyMs' | 'config' | 'caps' | 'reviews' | 'completed' | 'loadBefore' | 'loadAfter' | 'wallS' | 'calls' | 'admitted' | 'rejected429'
  | 'rejected429ByCause' | 'busiestSecondAtSim' | 'tokensCounted' | 'tokensPromptCompletion' | 'callsByKind' | 'failedReviews' | 'samples'
>;

/** Everything the bench reports that follows from the samples (also for --reanalyse). */
function derive(m: Measured, sizes: readonly number[]): RunResult {
  const { samples } = m;
  const tokensPerS = TPM / 60;
  const seconds = samples.slice(1).map((s, i) => classify(samples[i]!, s, { rps: RPS, tokensPerS, caps: m.caps, sizes }));
  const criticalPathS = (2 * m.latencyMs) / 1000;
  const bound = { callsS: m.admitted / RPS, tokensS: tokensPerS > 0 ? m.tokensCounted / tokensPerS : 0, criticalPathS, totalS: 0 };
  bound.totalS = Math.max(bound.callsS, bound.tokensS) + criticalPathS;
  const firstAt = (pred: (s: Sample) => boolean) => {
    const t = samples.find(pred)?.t;
    return t === undefined ? null : t / 1000;
  };
  const productDoneS = sizes.map((n, k) => firstAt((s) => productDone(s.products[k], n)));
  const productLearnedS = sizes.map((_, k) => firstAt((s) => s.products[k]?.learned === true));
  const doneTimes = productDoneS.filter((x): x is number => x !== null);
  const peakBy: Record<string, number> = {};
  for (const s of samples) for (const n of LLM_SERVICES) peakBy[n] = Math.max(peakBy[n] ?? 0, s.services[n]?.inFlight ?? 0);
  const peakRssMb: Record<string, number> = {};
  for (const s of samples) for (const [n, v] of Object.entries(s.rssMb)) peakRssMb[n] = Math.max(peakRssMb[n] ?? 0, v);
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const droppedSlots: Record<string, number> = {};
  let grants = 0;
  for (const n of LLM_SERVICES) {
    grants += (last.services[n]?.grants ?? 0) - (first.services[n]?.grants ?? 0);
    for (const [reason, v] of Object.entries(last.services[n]?.droppedByReason ?? { all: last.services[n]?.droppedSlots ?? 0 })) {
      const before = first.services[n]?.droppedByReason?.[reason] ?? (reason === 'all' ? (first.services[n]?.droppedSlots ?? 0) : 0);
      droppedSlots[reason] = (droppedSlots[reason] ?? 0) + v - before;
    }
  }
  const spanS = Math.max(1, (last.t - first.t) / 1000);
  const cpuCores: Record<string, number> = {};
  for (const [n, v] of Object.entries(last.cpuS ?? {})) cpuCores[n] = Math.round(((v - (first.cpuS?.[n] ?? 0)) / spanS) * 100) / 100;
  const mc0 = first.machineCpuS;
  const mc1 = last.machineCpuS;
  const loopLagMs: Record<string, { p99: number; mean: number }> = {};
  for (const n of LLM_SERVICES) {
    const lags = samples.map((s) => s.services[n]).filter((x) => x?.loopLagP99Ms !== undefined);
    if (lags.length) loopLagMs[n] = { p99: Math.round(Math.max(...lags.map((x) => x!.loopLagP99Ms!))), mean: Math.round(Math.max(...lags.map((x) => x!.loopLagMeanMs ?? 0))) };
  }
  const marginMs = Number(m.config.env.LIMITER_MARGIN_MS ?? DEFAULT_TUNING.marginMs);
  const slotLateness: RunResult['slotLateness'] = {};
  for (const n of LLM_SERVICES) {
    const b1 = last.services[n]?.latenessBuckets ?? {};
    const b0 = first.services[n]?.latenessBuckets ?? {};
    const q = bucketQuantiles(Object.fromEntries(Object.entries(b1).map(([le, v]) => [le, v - (b0[le] ?? 0)])), [0.5, 0.9, 0.99], marginMs);
    if (q) slotLateness[n] = { p50Ms: q.ms[0]!, p90Ms: q.ms[1]!, p99Ms: q.ms[2]!, beyondMargin: q.above, slots: q.count };
  }
  const machineBusy = mc0 && mc1 && mc1.all > mc0.all ? (mc1.busy - mc0.busy) / (mc1.all - mc0.all) : null;
  return {
    ...m,
    bound,
    shareOfBound: bound.totalS / m.wallS,
    firstCompleteProductS: doneTimes.length ? Math.min(...doneTimes) : null,
    productDoneS,
    productLearnedS,
    peakInFlight: Math.max(0, ...seconds.map((s) => s.inFlight)),
    peakInFlightByService: peakBy,
    peakWaiting: Math.max(0, ...seconds.map((s) => s.waiting)),
    peakRssMb,
    idleSeconds: tally(seconds),
    droppedSlots,
    grants,
    cpuCores,
    machineBusy,
    loopLagMs,
    marginMs,
    slotLateness,
    slowSamples: samples.filter((s) => s.readMs > 1000).length,
    seconds,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

function printRun(r: RunResult): void {
  const k = r.callsByKind;
  const rows: [string, string][] = [
    ['reviews (failed)', `${fmt(r.reviews)} (${r.failedReviews})${r.completed ? '' : '  NOT COMPLETE: timed out'}`],
    ['LLM calls at llm-sim (429)', `${fmt(r.calls)} (${r.rejected429})`],
    ['calls per stage', `translate ${fmt((k.translate_batch ?? 0) + (k.translate_single ?? 0))} · learning ${fmt(k.learning ?? 0)} · insight ${fmt(k.insight ?? 0)} · theme ${fmt(k.theme ?? 0)} · other ${fmt(k.other ?? 0)}`],
    ['tokens counted (prompt + max_tokens)', `${fmt(r.tokensCounted)} (${fmt(Math.round(r.tokensCounted / Math.max(1, r.admitted)))} a call)`],
    ['wall time (first upload → all analysed)', `${r.wallS.toFixed(0)} s`],
    [
      'bound',
      `max(${fmt(r.admitted)} ÷ ${RPS}/s, ${TPM > 0 ? `${fmt(r.tokensCounted)} ÷ ${fmt(TPM / 60)}/s` : 'no token limit'}) + ${r.bound.criticalPathS.toFixed(1)} s = ${r.bound.totalS.toFixed(0)} s`,
    ],
    ['share of the bound reached', r.shareOfBound.toFixed(2)],
    [
      'time to complete products: first · median',
      r.firstCompleteProductS === null ? '—' : `${r.firstCompleteProductS.toFixed(0)} s · ${medianProductS(r)?.toFixed(0) ?? '—'} s (of ${r.productDoneS.length} products)`,
    ],
    ['peak LLM calls in flight (per service)', `${r.peakInFlight} (${LLM_SERVICES.map((n) => `${n.replace('-svc', '')} ${r.peakInFlightByService[n] ?? 0}/${r.caps[n]}`).join(', ')}); peak waiting at the limiter ${r.peakWaiting}`],
    [
      'limiter slots dropped (reason)',
      `${fmt(Object.values(r.droppedSlots).reduce((x, y) => x + y, 0))} beside ${fmt(r.grants)} grants (${Object.entries(r.droppedSlots).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') || 'none'})`,
    ],
    [
      'CPU, mean cores (machine busy)',
      `${Object.entries(r.cpuCores).map(([n, v]) => `${n.replace('-svc', '')} ${v.toFixed(2)}`).join(' · ') || '—'}${r.machineBusy === null ? '' : ` (${(r.machineBusy * 100).toFixed(0)} % of ${os.cpus().length} cores)`}`,
    ],
    ['event-loop lag, largest p99/mean ms', Object.entries(r.loopLagMs).map(([n, v]) => `${n.replace('-svc', '')} ${v.p99}/${v.mean}`).join(' · ') || '—'],
    [
      `slot lateness p50/p90/p99 ms (> ${r.marginMs} ms)`,
      Object.entries(r.slotLateness)
        .map(([n, v]) => `${n.replace('-svc', '')} ${[v.p50Ms, v.p90Ms, v.p99Ms].map((x) => (x === Infinity ? '>1000' : `≤${x}`)).join('/')} (${(v.beyondMargin * 100).toFixed(0)} %)`)
        .join(' · ') || '—',
    ],
    ['busiest second at llm-sim', `${r.busiestSecondAtSim} (account ${ACCOUNT_RPS}, fleet ${RPS})`],
    ['peak RSS MB (process + children)', Object.entries(r.peakRssMb).map(([n, v]) => `${n.replace('-svc', '')} ${v}`).join(' · ')],
    ['load average before → after', `${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} → ${r.loadAfter.map((x) => x.toFixed(2)).join(' ')}`],
  ];
  if (r.slowSamples) rows.push(['samples that took > 1 s', String(r.slowSamples)]);
  console.log('');
  for (const [key, v] of rows) console.log(`  ${key.padEnd(42)}${v}`);
  const all = Math.round(r.seconds.reduce((n, s) => n + s.dt, 0));
  const idle = all - (r.idleSeconds.saturated ?? 0);
  console.log(`  seconds < 95 % of the budget: ${idle} of ${all}: ${CAUSES.filter((c) => r.idleSeconds[c]).map((c) => `${c} ${r.idleSeconds[c]}`).join(' · ') || 'none'}`);
}

/** The median of the products' completion times (a product not done counts as last): what the order of work changes most. */
function medianProductS(r: RunResult): number | null {
  if (r.productDoneS.length === 0) return null;
  const t = r.productDoneS.map((x) => x ?? Infinity).sort((x, y) => x - y);
  const m = t.length / 2;
  const v = t.length % 2 ? t[Math.floor(m)]! : (t[m - 1]! + t[m]!) / 2;
  return Number.isFinite(v) ? v : null;
}

function printSummary(results: RunResult[]): void {
  const label = (r: RunResult) => `${(r.latencyMs / 1000).toString()} s ${r.config.name}`;
  console.log('\nper latency and configuration');
  const head = ['', 'calls', '429', 'wall s', 'bound s', 'share', '1st prod s', 'med prod s', 'peak infl', 'busiest 1s', 'max RSS MB'];
  const w = [18, 8, 5, 8, 8, 7, 11, 11, 10, 11, 11];
  console.log(head.map((h, i) => (i ? h.padStart(w[i]!) : h.padEnd(w[i]!))).join(''));
  for (const r of results) {
    const cells = [
      label(r),
      fmt(r.calls),
      String(r.rejected429),
      r.wallS.toFixed(0),
      r.bound.totalS.toFixed(0),
      r.shareOfBound.toFixed(2),
      r.firstCompleteProductS?.toFixed(0) ?? '—',
      medianProductS(r)?.toFixed(0) ?? '—',
      String(r.peakInFlight),
      String(r.busiestSecondAtSim),
      String(Math.max(...Object.values(r.peakRssMb))),
    ];
    console.log(cells.map((c, i) => (i ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join(''));
  }
  const cols = ['saturated', ...CAUSES].filter((c) => results.some((r) => r.idleSeconds[c]));
  console.log('\nseconds per cause (a second below 95 % of the budget gets one cause; saturated = ≥ 95 %)');
  console.log(['', ...cols].map((c, i) => (i ? c.padStart(Math.max(8, c.length + 2)) : c.padEnd(18))).join(''));
  for (const r of results) {
    console.log([label(r), ...cols.map((c) => String(r.idleSeconds[c] ?? 0))].map((c, i) => (i ? c.padStart(Math.max(8, cols[i - 1]!.length + 2)) : c.padEnd(18))).join(''));
  }
}

/** --reanalyse: the tables of a JSON this bench wrote, from its samples, with the causes as classified now. */
function reanalyse(file: string): void {
  const { params, results } = JSON.parse(readFileSync(file, 'utf8')) as { params: { rps: number; tpm: number; products: [string, number][] }; results: RunResult[] };
  RPS = params.rps;
  TPM = params.tpm;
  const sizes = params.products.map(([, n]) => n);
  console.log(`${path.relative(process.cwd(), file)}: ${results.length} runs, ${params.products.length} products, MAX_API_RPS ${RPS}, MAX_API_TPM ${TPM || 'none'}`);
  const again = results.map((r) => derive(r, sizes));
  for (const r of again) {
    console.log(`\n— latency ${r.latencyMs} ms · config ${r.config.name}`);
    printRun(r);
  }
  printSummary(again);
}

async function main() {
  if (a.reanalyse) return reanalyse(path.resolve(a.reanalyse));
  const configs = a.config!.flatMap((c) => c.split(';')).filter((c) => c.trim()).map(parseConfig);
  const set = benchProducts(Number(a.reviews));
  console.log(`pipeline bench: ${fmt(set.total)} reviews of ${set.products.length} products from ${set.source}${set.fallback ? ' (../shared/data missing or short: the shipped sample instead of the fixed list)' : ''}`);
  console.log(`  ${set.products.map(([asin, rs]) => `${asin} ${rs.length}`).join(', ')}`);
  console.log(`latencies ${LATENCIES.join(', ')} ms (jitter ± a third); configurations ${configs.map((c) => c.name).join(', ')}; fleet MAX_API_RPS ${RPS}, MAX_API_TPM ${TPM || 'none (0)'}; llm-sim account ${ACCOUNT_RPS} RPS`);
  console.log(`machine: ${os.cpus().length} cores, load average ${load()} (shared: figures are noisy)`);
  bundleApps(ROOT, Object.keys(SERVICES) as ServiceName[], { inherit: true });
  const dir = path.resolve(__dirname, '../results');
  mkdirSync(dir, { recursive: true });
  const file = a.out ? path.resolve(a.out) : path.join(dir, `pipeline-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const params = { latencies: LATENCIES, reviews: set.total, source: set.source, fallback: set.fallback, products: set.products.map(([asin, rs]) => [asin, rs.length]), configs, rps: RPS, tpm: TPM, accountRps: ACCOUNT_RPS, uploadSize: UPLOAD_SIZE, uploaders: UPLOADERS, cores: os.cpus().length };
  const results: RunResult[] = [];
  for (const latency of LATENCIES) {
    for (const cfg of configs) {
      if (interrupted) return;
      const r = await runOne(latency, cfg, set.products);
      results.push(r);
      printRun(r);
      // Written after every run: a long run interrupted later keeps what it measured.
      writeFileSync(file, JSON.stringify({ params, results }, null, 1));
    }
  }
  printSummary(results);
  console.log(`\nJSON: ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
