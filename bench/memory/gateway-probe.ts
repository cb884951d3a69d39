/**
 * The gateway's memory alone, under the load bench:pipeline gives it: only
 * the gateway and ingest-svc run (no LLM work), 100-review uploads by 4
 * uploaders, and every product's progress read through the gateway once a
 * second, all at once. Runs the gateway once per variant of its node flags
 * on the same stack (`--variants 'service;bundle --max-semi-space-size=2'`, as
 * bench:memory spells them) and prints its peak RSS, the anonymous / file
 * split, and V8's heap spaces at the peak; with `--trace-gc` among the
 * flags, the gateway's log (printed path) shows what each GC kept.
 * Options: --reviews 2000 --seconds 60 --poll 1000.
 */
import { copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_RUNTIME_ENV, nodeFlagsOf, type ServiceName } from '@voc/config';
import { GatewayClient, loadReviewsByProduct, ROOT, startPipeline, toUpload } from '@voc/e2e';
import { bundleApps } from '@voc/local-stack';
import { heapOf, treeRss, type HeapReading } from './readings';

const { values: a } = parseArgs({
  options: {
    reviews: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '60' },
    poll: { type: 'string', default: '1000' },
    variants: { type: 'string', default: 'service' },
  },
});

function flagsOf(spec: string): { flags: string[]; env: Record<string, string> } {
  const [kind, ...rest] = spec.trim().split(/\s+/);
  if (kind === 'service') return { flags: nodeFlagsOf('gateway'), env: { ...NODE_RUNTIME_ENV } };
  return {
    flags: rest.filter((t) => t.startsWith('-')),
    env: Object.fromEntries(rest.filter((t) => !t.startsWith('-')).map((t) => t.split('=') as [string, string])),
  };
}

async function main() {
  const variants = a.variants!.split(';').filter((s) => s.trim());
  bundleApps(ROOT, ['gateway', 'ingest-svc'] as ServiceName[], { inherit: true });
  const products: [string, ReturnType<typeof toUpload>[]][] = [];
  let total = 0;
  for (const [asin, rs] of [...loadReviewsByProduct().entries()].sort((x, y) => y[1].length - x[1].length)) {
    if (total >= Number(a.reviews)) break;
    const take = rs.slice(0, Math.min(rs.length, Number(a.reviews) - total, 250));
    products.push([asin, take.map(toUpload)]);
    total += take.length;
  }
  let current = flagsOf(variants[0]!);
  const p = await startPipeline({
    services: ['gateway', 'ingest-svc'],
    runtime: 'bundle',
    nodeFlags: (n) => (n === 'gateway' ? current.flags : nodeFlagsOf(n)),
    env: { ...NODE_RUNTIME_ENV, LOG_LEVEL: 'warn' },
    readyTimeoutMs: 120_000,
  });
  const rows: string[] = [];
  try {
    for (const [i, spec] of variants.entries()) {
      current = flagsOf(spec);
      if (i > 0) {
        await p.apps.get('gateway')!.stop();
        // Fresh products each variant: a re-sent upload is a duplicate (cheap), the bench's load is new reviews.
        await p.startService('gateway', current.env);
      }
      const gw = new GatewayClient(p.gatewayUrl, p.apiKey);
      const pid = p.apps.get('gateway')!.pid;
      const suffix = `v${i}`;
      const uploads = products.flatMap(([asin, rs]) =>
        Array.from({ length: Math.ceil(rs.length / 100) }, (_, k) => [asin, rs.slice(k * 100, k * 100 + 100).map((r) => ({ ...r, reviewId: `${r.reviewId}-${suffix}` }))] as const),
      );
      const idle = treeRss(pid).rssMb;
      let peak = { rssMb: 0, anonMb: 0, fileMb: 0 };
      let heap: HeapReading = {};
      let lastScrape = 0;
      let running = true;
      const sampler = (async () => {
        while (running) {
          const r = treeRss(pid);
          if (r.rssMb > peak.rssMb) {
            peak = r;
            if (Date.now() - lastScrape >= 1000) {
              lastScrape = Date.now();
              heap = await heapOf(p.gatewayMetricsUrl).catch(() => heap);
            }
          }
          await new Promise((res) => setTimeout(res, 250));
        }
      })();
      const t0 = Date.now();
      const uploading = Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let u = uploads.shift(); u; u = uploads.shift()) {
            const r = await gw.upload(u[0], [...u[1]]);
            if (r.status !== 202) throw new Error(`upload ${u[0]}: ${r.status}`);
          }
        }),
      );
      let polls = 0;
      while (Date.now() - t0 < Number(a.seconds) * 1000) {
        const next = Date.now() + Number(a.poll);
        await Promise.all(products.map(([asin]) => gw.product(asin).catch(() => undefined)));
        polls++;
        await new Promise((res) => setTimeout(res, Math.max(0, next - Date.now())));
      }
      await uploading;
      running = false;
      await sampler;
      const f = (x?: number) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(0)).padStart(6);
      rows.push(
        `${spec.padEnd(60)}${f(idle)}${f(peak.rssMb)}${f(peak.anonMb)}${f(peak.fileMb)}${f(heap.heapTotalMb)}${f(heap.heapUsedMb)}${f(heap.spacesMb?.new)}${f(heap.spacesMb?.old)}${f(heap.spacesMb?.code)}${f(heap.spacesMb?.large_object)}${f(heap.externalMb)}  polls ${polls}`,
      );
      const log = path.join(os.tmpdir(), `gateway-probe-${i}.log`);
      copyFileSync(path.join(p.logDir, 'gateway.log'), log);
      console.log(`${rows.at(-1)}\n  gateway log: ${log}`);
    }
  } finally {
    await p.stop();
  }
  console.log(`\n${'gateway variant'.padEnd(60)}${['idle', 'peak', 'anon', 'file', 'htot', 'hused', 'new', 'old', 'code', 'large', 'ext'].map((c) => c.padStart(6)).join('')}`);
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
