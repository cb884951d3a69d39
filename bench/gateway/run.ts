/**
 * `npm run bench:gateway`: upload latency of the gateway while the whole
 * pipeline works (every service as a process, real NATS/Redis/PostgreSQL,
 * llm-sim at 1 s latency). autocannon sends uploads of 100 real reviews
 * (unique reviewIds, so ingest really stores them), from a process of its
 * own (load.ts: not on the event loop of llm-sim, which runs in this one):
 *
 *   1. 5,000 reviews/s (50 uploads/s) for 20 s, then 20,000 reviews/s (200/s) for 20 s:
 *      p50/p99 latency, errors, the gateway's peak RSS. Uploads arrive open loop as
 *      independent plug-ins send them: exponential gaps of mean 1/rate s (Poisson, fixed
 *      seed), latency from each upload's due time. `5k-spread` is the same rate with even
 *      gaps (the best case). `5k-burst` is the same rate as autocannon's overallRate sends it: every
 *      connection fires at the top of each second, so a whole second's 50 uploads arrive
 *      at once (the model of issue 10's first figures, p99 174–186 ms): the gateway's one
 *      event loop parses and validates them one after the other, and the last waits for
 *      all the others. autocannon also "corrects" those latencies for coordinated omission
 *      with an expected interval of 1 ms (1/rate of a 1-per-second connection, taken as
 *      ms), adding a synthetic sample per ms of each answer: its percentiles lean towards
 *      the slow answers;
 *   2. saturation (no rate limit, 32 connections, 15 s): the highest sustained rate;
 *   3. abuse: 64 connections sending 3.9 MB bodies for 10 s: RSS stays bounded
 *      (the body budget answers 503 server_busy beyond GATEWAY_BODY_BUDGET);
 *
 * and, per step, where an accepted upload's time went (gateway_upload_phase_seconds:
 * read, parse, validate, plan, publish). The services share the machine's two
 * cores with each other, llm-sim and autocannon: the figures are those of a
 * 2-core box doing everything at once. autocannon's process runs at a higher
 * CPU priority (as root): it stands in for plug-ins on other machines, and its
 * own waits for a core would count as gateway latency.
 *
 * The pipeline runs as under `npm start`: each service at its CPU class's
 * priority (libs/config cpu-class.ts: the batch workers and llm-sim niced, the
 * gateway, NATS and Redis not); `--cpu-classes off` runs every process at
 * one priority, for comparison.
 *
 * The services run as `npm start` and the image run them (each app's bundle with
 * its node flags, libs/config node-runtime.ts); `--runtime source` runs them
 * under tsx instead.
 *
 * Options (or BENCH_* env): --seconds 20 --latency 1000 --saturation-seconds 15 --cpu-classes on --runtime service
 * --steps 5k,5k-spread,5k-burst,20k,saturation,abuse (a subset for a shorter run);
 * BENCH_GATEWAY_NODE_OPTIONS: NODE_OPTIONS of the gateway (e.g. `--require` a
 * profiler; --cpu-prof is not allowed in NODE_OPTIONS).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fork } from 'node:child_process';
import { loadavg, setPriority } from 'node:os';
import { cpuClassOf, NODE_RUNTIME_ENV, nodeFlagsOf, SERVICES, type ServiceName } from '@voc/config';
import { startPipeline, type Pipeline } from '@voc/e2e';
import { bundleApps } from '@voc/local-stack';
import { PER_UPLOAD, type Arrivals, type LoadJob, type LoadOutcome, type ProbeJob, type ProbeOutcome } from './load-job';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '20' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '1000' },
    'saturation-seconds': { type: 'string', default: process.env.BENCH_SATURATION_SECONDS ?? '15' },
    'cpu-classes': { type: 'string', default: process.env.BENCH_CPU_CLASSES ?? 'on' },
    steps: { type: 'string', default: process.env.BENCH_STEPS ?? '5k,5k-spread,5k-burst,20k,saturation,abuse' },
    /** service: each app's bundle with its node flags, as npm start and the image run it; source: tsx. */
    runtime: { type: 'string', default: process.env.BENCH_RUNTIME ?? 'service' },
  },
});
if (a.runtime !== 'service' && a.runtime !== 'source') throw new Error(`--runtime is 'service' or 'source', not '${a.runtime}'`);
const AS_SERVICE = a.runtime === 'service';
const SECONDS = Number(a.seconds);
const SAT_SECONDS = Number(a['saturation-seconds']);
if (a['cpu-classes'] !== 'on' && a['cpu-classes'] !== 'off') throw new Error(`--cpu-classes is 'on' or 'off', not '${a['cpu-classes']}'`);
const CPU_CLASSES_ON = a['cpu-classes'] === 'on';
const STEP_NAMES = ['5k', '5k-spread', '5k-burst', '20k', 'saturation', 'abuse'] as const;
const STEPS = new Set(a.steps!.split(',').map((x) => x.trim()));
for (const x of STEPS) if (!(STEP_NAMES as readonly string[]).includes(x)) throw new Error(`--steps: '${x}' is not one of ${STEP_NAMES.join(', ')}`);
const PHASES = ['limit', 'read', 'parse', 'validate', 'plan', 'publish'] as const;

/** The niceness of the load process (a higher priority than every service's). */
const CLIENT_PRIORITY = -10;

/** Runs `job` in a child process (`script`, answering one message over IPC) at niceness `priority`. */
function inChild<J, O>(script: string, job: J, priority: number): Promise<O> {
  return new Promise((resolve, reject) => {
    // fork() passes this process' execArgv (tsx's loader) on: the script runs from source.
    const child = fork(path.join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, priority);
      } catch {
        console.warn(`bench: could not set ${script}'s priority to ${priority} (not root?)`);
      }
    }
    let outcome: O | undefined;
    child.once('message', (m) => (outcome = m as O));
    child.once('error', reject);
    child.once('exit', (code) => (outcome ? resolve(outcome) : reject(new Error(`bench ${script} exited with ${code} and no result`))));
    child.send(job as object);
  });
}

/**
 * Runs one load job (load.ts). The client stands in for plug-ins on other machines: it must not
 * wait for the pipeline's CPU (its own scheduling delays would count as gateway latency), so it
 * runs at a higher priority (root may raise it; others keep 0).
 */
const load = (job: LoadJob) => inChild<LoadJob, LoadOutcome>('load.ts', job, CLIENT_PRIORITY);

/** The size of one upload of PER_UPLOAD bench reviews as an INGEST message (bench data: 46–47 KB). */
const PROBE_BYTES = 46_000;

/** The publish probe (pub-probe.ts), at the gateway's priority: what nats-server's PubAck costs a client like it. */
const probe = (job: ProbeJob) => inChild<ProbeJob, ProbeOutcome>('pub-probe.ts', job, CPU_CLASSES_ON ? cpuClassOf('gateway').nice : 0);

/**
 * llm-sim answers from this process' main thread: give that thread llm-sim's class, as `npm start`
 * runs it (Linux sets a niceness per thread; the services are started already, at theirs). Only
 * as root: the load processes forked later inherit it, and only root can raise them again.
 */
function simAtItsClass(): void {
  if (process.getuid?.() !== 0) {
    console.warn('bench: not root: llm-sim (in this process) keeps the default priority');
    return;
  }
  setPriority(cpuClassOf('llm-sim').nice);
}

/** Peak RSS (MB) of a process while `during` runs, sampled every 100 ms from /proc. */
async function peakRss<T>(pid: number, during: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = 0;
  const sample = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) peak = Math.max(peak, Number(m[1]) / 1024);
  };
  sample();
  const timer = setInterval(sample, 100);
  try {
    return { result: await during(), peakMb: Math.round(peak) };
  } finally {
    clearInterval(timer);
  }
}

const rssMb = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

type PhaseTotals = Record<string, { sum: number; count: number }>;

async function phaseTotals(p: Pipeline): Promise<PhaseTotals> {
  const text = await (await fetch(p.gatewayMetricsUrl)).text();
  const out: PhaseTotals = {};
  for (const phase of PHASES) {
    const sum = new RegExp(`gateway_upload_phase_seconds_sum\\{[^}]*phase="${phase}"[^}]*\\} ([0-9.e+-]+)`).exec(text);
    const count = new RegExp(`gateway_upload_phase_seconds_count\\{[^}]*phase="${phase}"[^}]*\\} ([0-9.e+-]+)`).exec(text);
    out[phase] = { sum: Number(sum?.[1] ?? 0), count: Number(count?.[1] ?? 0) };
  }
  return out;
}

/** Mean ms per phase between two scrapes. */
function phaseMeans(before: PhaseTotals, after: PhaseTotals): Record<string, number> {
  return Object.fromEntries(
    PHASES.map((ph) => {
      const n = after[ph]!.count - before[ph]!.count;
      return [ph, n > 0 ? Math.round(((after[ph]!.sum - before[ph]!.sum) / n) * 1e5) / 100 : 0];
    }),
  );
}

interface StepResult {
  name: string;
  /** How the uploads arrived (null: as fast as the connections go). */
  arrivals: Arrivals | null;
  targetUploadsPerS: number | null;
  uploadsPerS: number;
  reviewsPerS: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  rssPeakMb: number;
  phasesMs: Record<string, number>;
  /** PubAck times of the publish probe (pub-probe.ts) during the step; null without a rate. */
  probe: ProbeOutcome | null;
  /** The machine's 1-minute load average at the end of the step. */
  load1: number;
}

async function step(p: Pipeline, name: string, tag: string, opts: { seconds: number; rate?: number; connections: number; arrivals?: Arrivals }): Promise<StepResult> {
  const gw = p.apps.get('gateway')!;
  const before = await phaseTotals(p);
  const [{ result, peakMb }, probed] = await Promise.all([
    peakRss(gw.pid, () => load({ kind: 'uploads', url: p.gatewayUrl, apiKey: p.apiKey, tag, ...opts })),
    opts.rate ? probe({ natsUrl: p.env.NATS_URL!, seconds: opts.seconds, rate: opts.rate, bytes: PROBE_BYTES }) : undefined,
  ]);
  const after = await phaseTotals(p);
  const r = result.uploads!;
  const seconds = r.seconds || opts.seconds;
  const ok = r.ok;
  const out: StepResult = {
    name,
    arrivals: opts.rate ? (opts.arrivals ?? 'poisson') : null,
    targetUploadsPerS: opts.rate ?? null,
    uploadsPerS: Math.round((ok / seconds) * 10) / 10,
    reviewsPerS: Math.round((ok * PER_UPLOAD) / seconds),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    rssPeakMb: peakMb,
    phasesMs: phaseMeans(before, after),
    probe: probed ?? null,
    load1: Math.round(loadavg()[0]! * 100) / 100,
  };
  console.log(
    `${name}: ${out.uploadsPerS} uploads/s (${out.reviewsPerS} reviews/s), p50 ${out.p50} ms, p99 ${out.p99} ms, non-2xx ${out.non2xx}, errors ${out.errors}, gateway RSS peak ${peakMb} MB; phases (ms) ${JSON.stringify(out.phasesMs)}${probed ? `; probe PubAck p50 ${probed.p50} p99 ${probed.p99} max ${probed.max} ms (${probed.n} publishes, ${probed.errors} errors)` : ''}; load ${out.load1}`,
  );
  return out;
}

/** 64 connections sending 3.9 MB bodies (valid JSON, one huge review list) as fast as they can. */
async function abuse(p: Pipeline, seconds: number): Promise<{ rssPeakMb: number; statuses: Record<string, number> }> {
  const gw = p.apps.get('gateway')!;
  const { result, peakMb } = await peakRss(gw.pid, () => load({ kind: 'abuse', url: p.gatewayUrl, apiKey: p.apiKey, seconds, connections: 64 }));
  console.log(
    `abuse: ${(result.bodyMb ?? 0).toFixed(1)} MB bodies × 64 connections: ${result.result!.requests.total} requests, statuses ${JSON.stringify(result.statuses)}, gateway RSS peak ${peakMb} MB`,
  );
  return { rssPeakMb: peakMb, statuses: result.statuses };
}

async function main() {
  const latency = Number(a.latency);
  console.log(
    `gateway bench: uploads of ${PER_UPLOAD} reviews, ${SECONDS} s per rate, llm-sim at ${latency} ms; services ${AS_SERVICE ? 'as npm start runs them (bundles, node flags of libs/config)' : 'from sources under tsx'}; the load client in a process of its own shares the 2 cores with every service; CPU classes ${CPU_CLASSES_ON ? 'on (batch workers and llm-sim niced)' : 'off (every process at one priority)'}`,
  );
  if (AS_SERVICE) {
    // The bundles as they are now (npm start and the image build them the same way).
    bundleApps(path.resolve(__dirname, '../..'), Object.keys(SERVICES) as ServiceName[]);
  }
  const p = await startPipeline({
    sim: { latencyMs: latency, jitterMs: Math.round(latency / 5) },
    ...(AS_SERVICE ? { runtime: 'bundle' as const, nodeFlags: nodeFlagsOf } : {}),
    // Per-key limits off for the bench: one key plays the whole plug-in fleet.
    env: { LOG_LEVEL: 'warn', ...(AS_SERVICE ? NODE_RUNTIME_ENV : {}) },
    serviceEnv: { gateway: { GATEWAY_KEY_RPS: '1000000', ...(process.env.BENCH_GATEWAY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_GATEWAY_NODE_OPTIONS } : {}) } },
    cpuClasses: CPU_CLASSES_ON,
  });
  if (CPU_CLASSES_ON) simAtItsClass();
  try {
    const gw = p.apps.get('gateway')!;
    const idleRss = rssMb(gw.pid);
    // Warm-up (connections, JIT, first products), not measured.
    await step(p, 'warm-up', 'warm', { seconds: 5, rate: 20, connections: 10 });
    const steps: StepResult[] = [];
    // The burst first: the open-loop steps then meet the backlog it left in the pipeline (the harder case).
    if (STEPS.has('5k-burst')) steps.push(await step(p, '5,000 reviews/s burst', 'r5kb', { seconds: SECONDS, rate: 50, connections: 50, arrivals: 'burst' }));
    if (STEPS.has('5k')) steps.push(await step(p, '5,000 reviews/s', 'r5k', { seconds: SECONDS, rate: 50, connections: 50 }));
    if (STEPS.has('5k-spread')) steps.push(await step(p, '5,000 reviews/s evenly spaced', 'r5ks', { seconds: SECONDS, rate: 50, connections: 50, arrivals: 'spread' }));
    if (STEPS.has('20k')) steps.push(await step(p, '20,000 reviews/s', 'r20k', { seconds: SECONDS, rate: 200, connections: 100 }));
    if (STEPS.has('saturation')) steps.push(await step(p, 'saturation', 'sat', { seconds: SAT_SECONDS, connections: 32 }));
    const abused = STEPS.has('abuse') ? await abuse(p, 10) : undefined;
    const queues = (await (await fetch(`${p.gatewayUrl}/v1/queues`, { headers: { authorization: `Bearer ${p.apiKey}` } })).json()) as { streams?: { INGEST?: { pending?: number } } };

    const cols = ['step', 'uploads/s', 'reviews/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'RSS MB', ...PHASES.map((ph) => `${ph} ms`), 'probe PubAck p50/p99 ms', 'load 1m'];
    const rows = steps.map((s) => [
      s.name,
      String(s.uploadsPerS),
      String(s.reviewsPerS),
      String(s.p50),
      String(s.p99),
      String(s.max),
      String(s.non2xx + s.errors),
      String(s.rssPeakMb),
      ...PHASES.map((ph) => String(s.phasesMs[ph])),
      s.probe ? `${s.probe.p50} / ${s.probe.p99}` : '—',
      String(s.load1),
    ]);
    const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
    console.log(`\n${cols.map((c, i) => c.padStart(widths[i]!)).join('  ')}`);
    console.log('-'.repeat(widths.reduce((x, y) => x + y + 2, 0)));
    for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
    console.log(`\nbaseline (issue 10, burst arrivals as in '5,000 reviews/s burst'): p99 174–186 ms at 5,000 reviews/s; 23,000 reviews/s at saturation with p99 135 ms`);
    console.log(
      `gateway RSS: idle ${idleRss} MB${abused ? `; under abuse (3.9 MB bodies × 64 connections) peak ${abused.rssPeakMb} MB, answers ${JSON.stringify(abused.statuses)}` : ''}`,
    );
    console.log(`INGEST pending after the run: ${queues.streams?.INGEST?.pending ?? '?'} messages (ingest-svc catching up)`);
    console.log(
      `machine: 2 cores shared by autocannon, every service, NATS, Redis, PostgreSQL (and other work on it at the time); load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );

    const dir = path.resolve(__dirname, '../results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({ params: { SECONDS, SAT_SECONDS, latencyMs: latency, perUpload: PER_UPLOAD, cpuClasses: CPU_CLASSES_ON, runtime: a.runtime, loadAverage: loadavg() }, baseline: { p99At5kMs: 174, saturationReviewsPerS: 23_000, saturationP99Ms: 135 }, idleRssMb: idleRss, steps, abuse: abused }, null, 2),
    );
    console.log(`JSON: ${path.relative(process.cwd(), file)}`);
  } finally {
    await p.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
