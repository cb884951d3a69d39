/**
 * `npm run bench:vip-lane`: does learning (the VIP lane) keep its speed while
 * translation saturates the LLM budget? Runs the whole pipeline (real NATS,
 * Redis, PostgreSQL, every service as a process, llm-sim as the provider):
 *
 *   1. idle: upload a new product, measure how long until it is learned;
 *   2. saturated: upload a large product so translation (then insight and
 *      theme) keeps the limiter at its limit, then upload another new product
 *      and measure its learning the same way.
 *
 * Prints both, and writes JSON to bench/results/. Options (or BENCH_* env):
 *   --rps 50  --latency 300  --load-reviews 2000  --probe-reviews 30
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { GatewayClient, loadReviewsByProduct, startPipeline, toUpload, waitFor, type DataReview, type Pipeline } from '@voc/e2e';

const { values: a } = parseArgs({
  options: {
    rps: { type: 'string', default: process.env.BENCH_RPS ?? '50' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '300' },
    'load-reviews': { type: 'string', default: process.env.BENCH_LOAD_REVIEWS ?? '2000' },
    'probe-reviews': { type: 'string', default: process.env.BENCH_PROBE_REVIEWS ?? '30' },
  },
});
const RPS = Number(a.rps);
const LOAD = Number(a['load-reviews']);
const PROBE = Number(a['probe-reviews']);
const PROBES = 3;

/** The run with the median upload → learned time. */
function median(runs: LearningTiming[]): LearningTiming {
  return [...runs].sort((x, y) => x.totalMs - y.totalMs)[Math.floor(runs.length / 2)]!;
}

/** `n` reviews for a synthetic product: real review texts, re-keyed so any data set is big enough. */
function syntheticProduct(all: DataReview[], asin: string, n: number, offset: number): DataReview[] {
  return Array.from({ length: n }, (_, i) => {
    const r = all[(offset + i) % all.length]!;
    return { ...r, asin, reviewId: `${asin}-${i}` };
  });
}

interface LearningTiming {
  asin: string;
  queuedMs: number;
  runMs: number;
  totalMs: number;
}

async function learningTiming(db: Client, asin: string, uploadedAt: number): Promise<LearningTiming> {
  const r = await db.query<{ created_at: Date; started_at: Date; finished_at: Date }>(
    `SELECT created_at, started_at, finished_at FROM learning_jobs WHERE asin = $1 AND status = 'done' ORDER BY finished_at LIMIT 1`,
    [asin],
  );
  const j = r.rows[0]!;
  return {
    asin,
    queuedMs: j.started_at.getTime() - j.created_at.getTime(),
    runMs: j.finished_at.getTime() - j.started_at.getTime(),
    totalMs: j.finished_at.getTime() - uploadedAt,
  };
}

async function learnProbe(p: Pipeline, gw: GatewayClient, db: Client, reviews: DataReview[]): Promise<LearningTiming> {
  const asin = reviews[0]!.asin;
  const t0 = Date.now();
  const res = await gw.upload(asin, reviews.map(toUpload));
  if (res.status !== 202) throw new Error(`upload ${asin}: ${res.status}`);
  await waitFor(`${asin} learned`, async () => (await gw.product(asin)).body, (v) => v.learned === true, 300_000, 50);
  return learningTiming(db, asin, t0);
}

async function limiterRate(gw: GatewayClient): Promise<number> {
  const q = (await gw.request<{ limiter: { recentRps: number } }>('GET', '/v1/queues')).body;
  return q.limiter.recentRps;
}

async function main() {
  const all = [...loadReviewsByProduct().values()].flat();
  console.log(`vip-lane bench: MAX_API_RPS ${RPS}, llm-sim latency ${a.latency} ms, load ${LOAD} reviews, probe products of ${PROBE} reviews`);
  const p = await startPipeline({
    sim: { latencyMs: Number(a.latency), jitterMs: Math.round(Number(a.latency) / 3), rpsLimit: Math.ceil(RPS * 1.25) },
    env: { MAX_API_RPS: String(RPS), LEARN_MIN_REVIEWS: String(Math.min(20, PROBE)), SWEEP_INTERVAL_MS: '5000' },
  });
  const gw = new GatewayClient(p.gatewayUrl, p.apiKey);
  const db = new Client({ connectionString: p.stack.databaseUrl });
  await db.connect();
  try {
    // Warm-up (first connections, the limiter key's first reservation), not measured.
    await learnProbe(p, gw, db, syntheticProduct(all, 'BENCHWARM1', PROBE, 0));
    const idleRuns: LearningTiming[] = [];
    for (let k = 1; k <= PROBES; k++) {
      const asin = `BENCHIDLE${k}`;
      idleRuns.push(await learnProbe(p, gw, db, syntheticProduct(all, asin, PROBE, 100 * k)));
      await waitFor(`${asin} drained`, async () => (await gw.product(asin)).body, (v) => v.reviews.themes === PROBE, 300_000);
    }
    const idle = median(idleRuns);
    console.log(`idle:      learned in ${idle.totalMs} ms (median of ${PROBES}; queued ${idle.queuedMs} ms, run ${idle.runMs} ms)`);

    // Load: a large product; uploaded in parts like a plug-in does.
    const load = syntheticProduct(all, 'BENCHLOAD1', LOAD, 1000);
    for (let i = 0; i < load.length; i += 500) {
      const r = await gw.upload('BENCHLOAD1', load.slice(i, i + 500).map(toUpload));
      if (r.status !== 202) throw new Error(`load upload: ${r.status}`);
    }
    const rate = await waitFor('limiter saturated', () => limiterRate(gw), (r) => r >= RPS * 0.9, 120_000, 500);
    const sim0 = p.sim.stats();
    const translatedBefore = (await gw.product('BENCHLOAD1')).body.reviews.translated;
    const busyRuns: LearningTiming[] = [];
    for (let k = 1; k <= PROBES; k++) busyRuns.push(await learnProbe(p, gw, db, syntheticProduct(all, `BENCHBUSY${k}`, PROBE, 3000 + 100 * k)));
    const busy = median(busyRuns);
    const rateAfter = await limiterRate(gw);
    const load1 = (await gw.product('BENCHLOAD1')).body.reviews;
    const sim1 = p.sim.stats();
    console.log(`saturated: learned in ${busy.totalMs} ms (median of ${PROBES}; queued ${busy.queuedMs} ms, run ${busy.runMs} ms); limiter at ${rate.toFixed(1)} → ${rateAfter.toFixed(1)} RPS of ${RPS}`);

    const rows: [string, string, string][] = [
      ['upload → learned (ms)', String(idle.totalMs), String(busy.totalMs)],
      ['  learning job queued (ms)', String(idle.queuedMs), String(busy.queuedMs)],
      ['  learning job ran (ms)', String(idle.runMs), String(busy.runMs)],
      ['limiter granted rate (RPS)', '—', `${rate.toFixed(1)} / ${RPS}`],
      ['translations of the load meanwhile', '—', `${load1.translated - translatedBefore}`],
      ['429s at llm-sim meanwhile', '—', String(sim1.rejected429 - sim0.rejected429)],
    ];
    console.log(`\n${''.padEnd(38)}${'idle'.padStart(12)}${'saturated'.padStart(16)}`);
    console.log('-'.repeat(66));
    for (const [l, x, y] of rows) console.log(`${l.padEnd(38)}${x.padStart(12)}${y.padStart(16)}`);
    const ratio = busy.totalMs / idle.totalMs;
    console.log(`\nsaturated ÷ idle = ${ratio.toFixed(2)}`);
    const dir = path.resolve(__dirname, '../results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `vip-lane-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ params: { RPS, latencyMs: Number(a.latency), LOAD, PROBE }, idleRuns, busyRuns, idle, busy, limiterRps: rate, ratio }, null, 2));
    console.log(`JSON: ${path.relative(process.cwd(), file)}`);
  } finally {
    await db.end();
    await p.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
