/**
 * `npm run bench:memory`: each service's peak RSS (the process with its
 * children, sampled from /proc every 250 ms) while the whole pipeline works
 * through real reviews: uploads, translation, learning, insights, themes,
 * then a report per product. Runs the pipeline once per variant, in the same
 * run, so the baseline and the candidate see the same machine:
 *
 *   source   apps/<app>/src/main.ts under tsx, no flags (how `npm start` ran them before)
 *   bundle   apps/<app>/dist/main.js, no flags
 *   service  the bundle with the service's node flags and environment
 *            (`nodeFlagsOf`, `NODE_RUNTIME_ENV` of @voc/config): how `npm start` and compose run it
 *
 * A variant may also be written out: `bundle --max-semi-space-size=2 MALLOC_ARENA_MAX=2`
 * (a runtime, then flags, then VAR=value pairs), to measure one lever alone;
 * `service …` adds them to every service's own (`service INSIGHT_PARALLEL_SIZE=100`).
 * Prints a table (MB) with the heap of the peak sample, and writes JSON to
 * bench/results/. While the pipeline works, every product's progress is read
 * through the gateway once a second, all at once (as bench:pipeline and a
 * dashboard do; `--poll 0` turns it off). At each service's peak it also
 * keeps the anonymous / file-backed split of the RSS and V8's heap spaces.
 * Options: --reviews 2000 --latency 1000 --rps 200 --poll 1000
 * --variants 'source;bundle;service'.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_RUNTIME_ENV, nodeFlagsOf, SERVICES, type ServiceName } from '@voc/config';
import { GatewayClient, loadReviewsByProduct, ROOT, startPipeline, toUpload, waitFor, type DataReview, type Pipeline } from '@voc/e2e';
import { bundleApps, type AppRuntime } from '@voc/local-stack';
import { heapOf, treeRss, type HeapReading } from './readings';

const { values: a } = parseArgs({
  options: {
    reviews: { type: 'string', default: '2000' },
    latency: { type: 'string', default: '1000' },
    rps: { type: 'string', default: '200' },
    poll: { type: 'string', default: '1000' },
    variants: { type: 'string', default: 'source;bundle;service' },
  },
});
const REVIEWS = Number(a.reviews);
const POLL_MS = Number(a.poll);

interface Variant {
  label: string;
  runtime: AppRuntime;
  flags: (name: ServiceName) => readonly string[];
  env: Record<string, string>;
}

function parseVariant(spec: string): Variant {
  const [kind, ...rest] = spec.trim().split(/\s+/);
  if (kind !== 'source' && kind !== 'bundle' && kind !== 'service') throw new Error(`variant "${spec}": starts with source, bundle or service`);
  const flags = rest.filter((t) => t.startsWith('-'));
  const env = Object.fromEntries(rest.filter((t) => !t.startsWith('-')).map((t) => t.split('=') as [string, string]));
  // `service --some-flag VAR=x`: every service's own flags and environment, plus these.
  if (kind === 'service') return { label: spec.trim(), runtime: 'bundle', flags: (n) => [...nodeFlagsOf(n), ...flags], env: { ...NODE_RUNTIME_ENV, ...env } };
  return { label: spec.trim(), runtime: kind, flags: () => flags, env };
}

/** The heap fields: from the service's /metrics, the sample nearest the peak. */
interface Peak extends HeapReading {
  rssMb: number;
  /** The main process's RSS split at the peak sample: anonymous (heap, malloc, wasm) and file-backed (node's binary, libraries). */
  anonMb?: number;
  fileMb?: number;
}

const treeRssMb = (pid: number) => treeRss(pid).rssMb;

function metricsUrl(p: Pipeline, name: ServiceName): string {
  return name === 'gateway' ? p.gatewayMetricsUrl : `http://127.0.0.1:${p.apps.get(name)!.port}/metrics`;
}

/** Products of the data set, largest first, until `n` reviews. */
function pickProducts(n: number): [string, DataReview[]][] {
  const out: [string, DataReview[]][] = [];
  let total = 0;
  const products = [...loadReviewsByProduct().entries()].sort((x, y) => y[1].length - x[1].length);
  for (const [asin, reviews] of products) {
    if (total >= n) break;
    const take = reviews.slice(0, Math.min(reviews.length, n - total, 250));
    out.push([asin, take]);
    total += take.length;
  }
  return out;
}

async function runVariant(v: Variant, products: [string, DataReview[]][]): Promise<{ peaks: Record<string, Peak>; idle: Record<string, number>; ms: number }> {
  const p = await startPipeline({
    runtime: v.runtime,
    nodeFlags: v.flags,
    env: { ...v.env, MAX_API_RPS: a.rps!, LEARN_QUIET_MS: '5000', LOG_LEVEL: 'warn' },
    sim: { latencyMs: Number(a.latency), jitterMs: Math.round(Number(a.latency) / 3), rpsLimit: Math.ceil(Number(a.rps) * 1.25) },
    readyTimeoutMs: 180_000,
  });
  const names = [...p.apps.keys()];
  const peaks: Record<string, Peak> = Object.fromEntries(names.map((n) => [n, { rssMb: 0 }]));
  let sampling = true;
  const sampler = (async () => {
    const scraped = new Map<string, number>();
    while (sampling) {
      for (const n of names) {
        const { rssMb: rss, anonMb, fileMb } = treeRss(p.apps.get(n)!.pid);
        if (rss > peaks[n]!.rssMb) {
          Object.assign(peaks[n]!, { rssMb: rss, anonMb, fileMb });
          // The heap at (about) the peak: a scrape costs the service some work, so at most once a second per service.
          if (Date.now() - (scraped.get(n) ?? 0) >= 1000) {
            scraped.set(n, Date.now());
            Object.assign(peaks[n]!, await heapOf(metricsUrl(p, n)).catch(() => ({})));
          }
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const idle = Object.fromEntries(names.map((n) => [n, treeRssMb(p.apps.get(n)!.pid)]));
    const gw = new GatewayClient(p.gatewayUrl, p.apiKey);
    const t0 = Date.now();
    // Every product's progress at once, once a second, until the reports (bounded by the waits below).
    let polling = POLL_MS > 0;
    const poller = (async () => {
      while (polling) {
        const next = Date.now() + POLL_MS;
        await Promise.all(products.map(([asin]) => gw.product(asin).catch(() => undefined)));
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
    })();
    // As plug-ins do: 100 reviews per upload, 4 uploads at once.
    const uploads = products.flatMap(([asin, rs]) => Array.from({ length: Math.ceil(rs.length / 100) }, (_, i) => [asin, rs.slice(i * 100, i * 100 + 100)] as const));
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let u = uploads.shift(); u; u = uploads.shift()) {
          const r = await gw.upload(u[0], u[1].map(toUpload));
          if (r.status !== 202) throw new Error(`upload ${u[0]}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }),
    );
    for (const [asin, rs] of products) {
      // Not found (no reviews) until ingest has stored the first upload.
      const none = { themes: 0, insights: 0, failed: 0 };
      await waitFor(`${asin} analysed`, async () => (await gw.product(asin)).body.reviews ?? none, (r) => r.themes + r.failed >= rs.length && r.insights + r.failed >= rs.length, 900_000, 1000);
    }
    for (const [asin] of products) {
      const created = await gw.request<{ reportId: string }>('POST', `/v1/products/${asin}/reports`);
      if (created.status !== 202) throw new Error(`report ${asin}: ${created.status}`);
      await waitFor(`report ${asin}`, async () => (await gw.request<{ status: string }>('GET', `/v1/reports/${created.body.reportId}`)).body.status, (s) => s === 'ready' || s === 'failed', 120_000, 250);
    }
    polling = false;
    await poller;
    return { peaks, idle, ms: Date.now() - t0 };
  } finally {
    sampling = false;
    await sampler;
    await p.stop();
  }
}

async function main() {
  const variants = a.variants!.split(';').filter((s) => s.trim()).map(parseVariant);
  const products = pickProducts(REVIEWS);
  const total = products.reduce((s, [, rs]) => s + rs.length, 0);
  // The bundles as they are now (the image and `npm start` build them the same way).
  bundleApps(ROOT, Object.keys(SERVICES) as ServiceName[], { inherit: true });
  console.log(
    `memory bench: ${total} real reviews of ${products.length} products, llm-sim ${a.latency} ms, MAX_API_RPS ${a.rps}, progress of every product ${POLL_MS > 0 ? `every ${POLL_MS} ms` : 'not polled'}; load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  const results: { variant: string; flags: Record<string, readonly string[]>; env: Record<string, string>; ms: number; idle: Record<string, number>; peaks: Record<string, Peak>; load1: number }[] = [];
  for (const v of variants) {
    console.log(`\n— ${v.label}`);
    const r = await runVariant(v, products);
    const flags = Object.fromEntries(Object.keys(r.peaks).map((n) => [n, v.flags(n as ServiceName)]));
    results.push({ variant: v.label, flags, env: v.env, ...r, load1: os.loadavg()[0]! });
    console.log(`  done in ${(r.ms / 1000).toFixed(0)} s; load ${os.loadavg()[0]!.toFixed(2)}`);
  }
  const names = Object.keys(results[0]!.peaks);
  console.log(`\npeak RSS (MB, process + children, sampled every 250 ms); idle = 3 s after ready`);
  for (const r of results) {
    console.log(`\n${r.variant}  (${(r.ms / 1000).toFixed(0)} s, load ${r.load1.toFixed(2)})`);
    const cols = ['idle', 'peak', 'anon', 'file', 'heap tot', 'heap used', 'new', 'old', 'code', 'large', 'external'];
    console.log(`${'service'.padEnd(15)}${cols.map((c) => c.padStart(Math.max(7, c.length + 2))).join('')}`);
    for (const n of names) {
      const pk = r.peaks[n]!;
      const f = (x?: number) => (x === undefined ? '—' : x.toFixed(0));
      const sp = pk.spacesMb ?? {};
      const vals = [r.idle[n], pk.rssMb, pk.anonMb, pk.fileMb, pk.heapTotalMb, pk.heapUsedMb, sp.new, sp.old, sp.code, sp.large_object, pk.externalMb];
      console.log(`${n.padEnd(15)}${vals.map((v, i) => f(v).padStart(Math.max(7, cols[i]!.length + 2))).join('')}`);
    }
  }
  if (results.length > 1) {
    console.log(`\npeak RSS (MB) per variant`);
    console.log(`${'service'.padEnd(15)}${results.map((r, i) => `#${i + 1}`.padStart(8)).join('')}`);
    for (const n of names) console.log(`${n.padEnd(15)}${results.map((r) => r.peaks[n]!.rssMb.toFixed(0).padStart(8)).join('')}`);
    results.forEach((r, i) => console.log(`#${i + 1} = ${r.variant}`));
  }
  const dir = path.resolve(__dirname, '../results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ params: { reviews: total, latencyMs: Number(a.latency), rps: Number(a.rps), pollMs: POLL_MS }, results }, null, 2));
  console.log(`JSON: ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
