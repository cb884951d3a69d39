/**
 * `npm run bench:gateway`: upload latency of the gateway while the whole
 * pipeline works (every service as a process, real NATS/Redis/PostgreSQL,
 * llm-sim at 1 s latency). autocannon sends uploads of 100 real reviews
 * (unique reviewIds, so ingest really stores them):
 *
 *   1. 5,000 reviews/s (50 uploads/s) for 20 s, then 20,000 reviews/s (200/s) for 20 s:
 *      p50/p99 latency, errors, the gateway's peak RSS;
 *   2. saturation (no rate limit, 32 connections, 15 s): the highest sustained rate;
 *   3. abuse: 64 connections sending 3.9 MB bodies for 10 s: RSS stays bounded
 *      (the body budget answers 503 server_busy beyond GATEWAY_BODY_BUDGET);
 *
 * and, per step, where an accepted upload's time went (gateway_upload_phase_seconds:
 * read, parse, validate, plan, publish). autocannon runs in this process
 * and shares the machine's cores with the whole pipeline: the figures are those
 * of a 2-core box doing everything at once.
 *
 * Options (or BENCH_* env): --seconds 20 --latency 1000 --saturation-seconds 15
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadReviewsByProduct, startPipeline, toUpload, type DataReview, type Pipeline } from '@voc/e2e';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '20' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '1000' },
    'saturation-seconds': { type: 'string', default: process.env.BENCH_SATURATION_SECONDS ?? '15' },
  },
});
const SECONDS = Number(a.seconds);
const SAT_SECONDS = Number(a['saturation-seconds']);
const PER_UPLOAD = 100;
const PHASES = ['read', 'parse', 'validate', 'plan', 'publish'] as const;

/** Upload bodies of PER_UPLOAD real reviews each, every reviewId unique to this run and step. */
class Bodies {
  private n = 0;
  private readonly all: DataReview[];
  constructor(
    byProduct: Map<string, DataReview[]>,
    private readonly tag: string,
  ) {
    this.all = [...byProduct.values()].flat();
  }
  next(): { path: string; body: string } {
    const k = this.n++;
    const start = (k * PER_UPLOAD) % this.all.length;
    const reviews = Array.from({ length: PER_UPLOAD }, (_, i) => {
      const r = this.all[(start + i) % this.all.length]!;
      return { ...toUpload(r), reviewId: `${this.tag}-${k}-${i}` };
    });
    // Spread over 50 products, as many plug-ins uploading different products.
    const asin = `BENCH${String(k % 50).padStart(5, '0')}`;
    return { path: `/v1/products/${asin}/reviews`, body: JSON.stringify({ product: { title: `Bench product ${k % 50}` }, reviews }) };
  }
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
}

async function step(p: Pipeline, name: string, bodies: Bodies, opts: { seconds: number; rate?: number; connections: number }): Promise<StepResult> {
  const gw = p.apps.get('gateway')!;
  const before = await phaseTotals(p);
  const { result: r, peakMb } = await peakRss(gw.pid, () =>
    autocannon({
      url: p.gatewayUrl,
      connections: opts.connections,
      duration: opts.seconds,
      ...(opts.rate ? { overallRate: opts.rate } : {}),
      headers: { authorization: `Bearer ${p.apiKey}`, 'content-type': 'application/json' },
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const { path: reqPath, body } = bodies.next();
            return { ...req, path: reqPath, body };
          },
        },
      ],
    }),
  );
  const after = await phaseTotals(p);
  const seconds = r.duration || opts.seconds;
  const ok = r['2xx'];
  const out: StepResult = {
    name,
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
  };
  console.log(
    `${name}: ${out.uploadsPerS} uploads/s (${out.reviewsPerS} reviews/s), p50 ${out.p50} ms, p99 ${out.p99} ms, non-2xx ${out.non2xx}, errors ${out.errors}, gateway RSS peak ${peakMb} MB; phases (ms) ${JSON.stringify(out.phasesMs)}`,
  );
  return out;
}

/** 64 connections sending 3.9 MB bodies (valid JSON, one huge review list) as fast as they can. */
async function abuse(p: Pipeline, seconds: number): Promise<{ rssPeakMb: number; statuses: Record<string, number> }> {
  const gw = p.apps.get('gateway')!;
  const review = JSON.stringify({ reviewId: 'abuse', rating: 5, body: 'z'.repeat(19_000) });
  const body = `{"reviews":[${Array.from({ length: 200 }, () => review).join(',')}]}`;
  const statuses: Record<string, number> = {};
  const { result, peakMb } = await peakRss(gw.pid, () =>
    autocannon({
      url: `${p.gatewayUrl}/v1/products/BENCHABUSE/reviews`,
      method: 'POST',
      connections: 64,
      duration: seconds,
      headers: { authorization: `Bearer ${p.apiKey}`, 'content-type': 'application/json' },
      body,
      // Count answers by status.
      setupClient: (client) => client.on('response', (status: number) => void (statuses[status] = (statuses[status] ?? 0) + 1)),
    }),
  );
  console.log(`abuse: ${(body.length / 1024 / 1024).toFixed(1)} MB bodies × 64 connections: ${result.requests.total} requests, statuses ${JSON.stringify(statuses)}, gateway RSS peak ${peakMb} MB`);
  return { rssPeakMb: peakMb, statuses };
}

async function main() {
  const byProduct = loadReviewsByProduct();
  const latency = Number(a.latency);
  console.log(`gateway bench: uploads of ${PER_UPLOAD} reviews, ${SECONDS} s per rate, llm-sim at ${latency} ms; autocannon in this process shares the 2 cores with every service`);
  const p = await startPipeline({
    sim: { latencyMs: latency, jitterMs: Math.round(latency / 5) },
    // Per-key limits off for the bench: one key plays the whole plug-in fleet.
    env: { LOG_LEVEL: 'warn' },
    serviceEnv: { gateway: { GATEWAY_KEY_RPS: '1000000' } },
  });
  try {
    const gw = p.apps.get('gateway')!;
    const idleRss = rssMb(gw.pid);
    // Warm-up (connections, JIT, first products), not measured.
    await step(p, 'warm-up', new Bodies(byProduct, 'warm'), { seconds: 5, rate: 20, connections: 10 });
    const steps: StepResult[] = [];
    steps.push(await step(p, '5,000 reviews/s', new Bodies(byProduct, 'r5k'), { seconds: SECONDS, rate: 50, connections: 50 }));
    steps.push(await step(p, '20,000 reviews/s', new Bodies(byProduct, 'r20k'), { seconds: SECONDS, rate: 200, connections: 100 }));
    steps.push(await step(p, 'saturation', new Bodies(byProduct, 'sat'), { seconds: SAT_SECONDS, connections: 32 }));
    const abused = await abuse(p, 10);
    const queues = (await (await fetch(`${p.gatewayUrl}/v1/queues`, { headers: { authorization: `Bearer ${p.apiKey}` } })).json()) as { streams?: { INGEST?: { pending?: number } } };

    const cols = ['step', 'uploads/s', 'reviews/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'RSS MB', ...PHASES.map((ph) => `${ph} ms`)];
    const rows = steps.map((s) => [s.name, String(s.uploadsPerS), String(s.reviewsPerS), String(s.p50), String(s.p99), String(s.max), String(s.non2xx + s.errors), String(s.rssPeakMb), ...PHASES.map((ph) => String(s.phasesMs[ph]))]);
    const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
    console.log(`\n${cols.map((c, i) => c.padStart(widths[i]!)).join('  ')}`);
    console.log('-'.repeat(widths.reduce((x, y) => x + y + 2, 0)));
    for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
    console.log(`\nbaseline (issue 10, before this work): p99 174 ms at 5,000 reviews/s; 23,000 reviews/s at saturation with p99 135 ms`);
    console.log(`gateway RSS: idle ${idleRss} MB; under abuse (3.9 MB bodies × 64 connections) peak ${abused.rssPeakMb} MB, answers ${JSON.stringify(abused.statuses)}`);
    console.log(`INGEST pending after the run: ${queues.streams?.INGEST?.pending ?? '?'} messages (ingest-svc catching up)`);
    console.log('machine: 2 cores shared by autocannon, every service, NATS, Redis, PostgreSQL (and other work on it at the time)');

    const dir = path.resolve(__dirname, '../results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({ params: { SECONDS, SAT_SECONDS, latencyMs: latency, perUpload: PER_UPLOAD }, baseline: { p99At5kMs: 174, saturationReviewsPerS: 23_000, saturationP99Ms: 135 }, idleRssMb: idleRss, steps, abuse: abused }, null, 2),
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
