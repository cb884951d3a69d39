/**
 * `npm run demo` (with `npm start` running): uploads real reviews through the
 * gateway as browser plug-ins would (several products, concurrent uploads of
 * 100 reviews), shows a progress bar per stage until everything is done,
 * then asks for a report per product and prints where to read them.
 *
 *   npm run demo -- [--file reviews.jsonl] [--products 5] [--max-reviews 300] [--concurrency 6]
 *
 * Data: --file, else ../shared/data/reviews-dev.jsonl when present, else the
 * sample shipped in data/. Gateway: GATEWAY_URL (default http://127.0.0.1:8080)
 * and GATEWAY_API_KEY (default: the key `npm start` keeps in .voc/).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayClient, loadReviewsByProduct, reviewDataPath, toUpload, type ProductView } from '@voc/e2e';

const ROOT = path.resolve(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    file: { type: 'string' },
    products: { type: 'string', default: '5' },
    'max-reviews': { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '6' },
    'chunk-size': { type: 'string', default: '100' },
  },
});

function intArg(name: keyof typeof args): number {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive whole number, got '${args[name]}'`);
  return n;
}

function apiKey(): string {
  if (process.env.GATEWAY_API_KEY) return process.env.GATEWAY_API_KEY;
  const f = path.join(ROOT, '.voc', 'gateway-api-key');
  if (existsSync(f)) return readFileSync(f, 'utf8').trim().split(',')[0]!;
  throw new Error('no API key: set GATEWAY_API_KEY, or run `npm start` first (it keeps one in .voc/gateway-api-key)');
}

/** Products spread over the size range, small ones included (they take the "quiet" learning path). */
function pickProducts(by: Map<string, unknown[]>, n: number): string[] {
  const sorted = [...by.keys()].sort((a, b) => by.get(a)!.length - by.get(b)!.length);
  if (sorted.length <= n) return sorted;
  return Array.from({ length: n }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (n - 1 || 1))]!);
}

const BAR = 30;
function bar(done: number, total: number): string {
  const f = total ? Math.round((BAR * done) / total) : BAR;
  return `[${'#'.repeat(f)}${'.'.repeat(BAR - f)}] ${String(done).padStart(6)}/${total}`;
}

async function main(): Promise<void> {
  const file = reviewDataPath(args.file);
  const gw = new GatewayClient(process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080', apiKey());
  const health = await fetch(`${gw.baseUrl}/readyz`).catch(() => undefined);
  if (!health?.ok) throw new Error(`the gateway at ${gw.baseUrl} is not ready: start the stack with \`npm start\` first`);

  const by = loadReviewsByProduct(file);
  const asins = pickProducts(by, intArg('products'));
  const max = intArg('max-reviews');
  const chunkSize = intArg('chunk-size');
  const plan = asins.map((asin) => ({ asin, reviews: by.get(asin)!.slice(0, max).map(toUpload) }));
  const expected = new Map(plan.map((p) => [p.asin, p.reviews.length]));
  const totalReviews = plan.reduce((n, p) => n + p.reviews.length, 0);
  console.log(`data: ${path.relative(process.cwd(), file)}`);
  console.log(`uploading ${totalReviews} reviews of ${asins.length} products (${asins.map((a) => `${a}:${expected.get(a)}`).join(' ')})`);

  // Uploads: chunks of `chunkSize`, `concurrency` requests in flight, like many plug-ins at once.
  const chunks = plan.flatMap((p) => {
    const out: { asin: string; reviews: unknown[] }[] = [];
    for (let i = 0; i < p.reviews.length; i += chunkSize) out.push({ asin: p.asin, reviews: p.reviews.slice(i, i + chunkSize) });
    return out;
  });
  const t0 = Date.now();
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: intArg('concurrency') }, async () => {
      while (next < chunks.length) {
        const c = chunks[next++]!;
        const r = await gw.upload(c.asin, c.reviews);
        if (r.status !== 202) throw new Error(`upload for ${c.asin} answered ${r.status}: ${JSON.stringify(r.body)}`);
        accepted += (r.body as { accepted: number }).accepted;
      }
    }),
  );
  console.log(`uploaded: ${accepted} accepted in ${chunks.length} requests, ${Date.now() - t0} ms\n`);

  const tty = process.stdout.isTTY;
  let lines = 0;
  let lastPrint = 0;
  for (;;) {
    const views = await Promise.all(asins.map(async (a) => (await gw.product(a)).body as ProductView));
    const sum = (k: keyof ProductView['reviews']) => views.reduce((n, v) => n + (v.reviews?.[k] ?? 0), 0);
    const learned = views.filter((v) => v.learned).length;
    const failed = sum('failed');
    const out = [
      `stored      ${bar(sum('total'), totalReviews)}`,
      `translated  ${bar(sum('translated'), totalReviews)}`,
      `learned     ${bar(learned, asins.length)}  products`,
      `insights    ${bar(sum('insights'), totalReviews)}`,
      `themes      ${bar(sum('themes'), totalReviews)}`,
      `failed      ${failed}   elapsed ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    ];
    if (tty) {
      // Redraw in place.
      if (lines) process.stdout.write(`\x1b[${lines}A`);
      process.stdout.write(out.map((l) => `${l}\x1b[K`).join('\n') + '\n');
      lines = out.length;
    } else if (Date.now() - lastPrint >= 5000) {
      // Piped to a file or CI: a block every 5 s.
      process.stdout.write(out.join('\n') + '\n\n');
      lastPrint = Date.now();
    }
    const finished = views.every((v) => {
      const n = expected.get(v.asin)!;
      const r = v.reviews;
      return r && r.total >= n && r.translated + r.failed >= n && r.insights + r.failed >= n && r.themes + r.failed >= n && v.learned;
    });
    if (finished) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(`\nall stages done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

  const outDir = path.join(ROOT, '.voc', 'reports');
  mkdirSync(outDir, { recursive: true });
  for (const asin of asins) {
    const created = await gw.request<{ reportId: string }>('POST', `/v1/products/${asin}/reports`);
    if (created.status !== 202) throw new Error(`report for ${asin} answered ${created.status}`);
    const id = created.body.reportId;
    for (;;) {
      const r = await gw.request<{ status: string; error?: string }>('GET', `/v1/reports/${id}`);
      if (r.body.status === 'failed') throw new Error(`report ${id} failed: ${r.body.error}`);
      if (r.body.status === 'ready') break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const html = await gw.request<string>('GET', `/v1/reports/${id}`, undefined, 'text/html');
    const file = path.join(outDir, `${asin}.html`);
    writeFileSync(file, html.body);
    console.log(`report ${asin}: ${gw.baseUrl}/v1/reports/${id}  (HTML saved to ${path.relative(process.cwd(), file)})`);
  }
  console.log(`\nJSON:  curl -H "Authorization: Bearer <key>" ${gw.baseUrl}/v1/reports/<id>`);
  console.log(`HTML:  add -H "Accept: text/html", or open the saved file`);
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
