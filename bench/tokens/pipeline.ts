/**
 * `npm run bench:tokens -- --pipeline`: the acceptance run of issue 11 on the
 * whole pipeline (every service as a process, real NATS, Redis, PostgreSQL,
 * llm-sim as the provider) with real reviews, LLM_SIM_TPM_LIMIT far below
 * what 200 RPS needs and MAX_API_TPM at 80 % of it. Uploads whole products
 * until --reviews are reached, waits until every review has its translation,
 * insights and themes, and reports: 429s (expected 0), the busiest 60-s and
 * 1-s token windows at llm-sim against the account, and tokens used ÷ the
 * token bound (MAX_API_TPM / 60 × the busy time, from the first LLM call to
 * the last).
 *
 *   npm run bench:tokens -- --pipeline [--sim-tpm 1200000] [--reviews 1000] [--latency 300]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatewayClient, loadReviewsByProduct, startPipeline, toUpload, waitFor } from '@voc/e2e';

export async function runPipelineBench(opts: { simTpm: number; latencyMs: number; reviews: number }): Promise<void> {
  const simTpm = opts.simTpm;
  const fleetTpm = Math.floor(simTpm * 0.8);
  const want = opts.reviews;
  const products: [string, ReturnType<typeof loadReviewsByProduct> extends Map<string, infer V> ? V : never][] = [];
  let total = 0;
  for (const [asin, reviews] of [...loadReviewsByProduct().entries()].sort((x, y) => x[1].length - y[1].length)) {
    if (total >= want) break;
    const take = reviews.slice(0, want - total);
    if (take.length < 20) continue;
    products.push([asin, take]);
    total += take.length;
  }
  console.log(`tokens bench (pipeline): ${total} real reviews of ${products.length} products; llm-sim ${simTpm} TPM (${simTpm / 60}/s), 250 RPS, latency ${opts.latencyMs} ms; fleet MAX_API_RPS 200, MAX_API_TPM ${fleetTpm}`);
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (shared with other work: figures are noisy)`);
  const p = await startPipeline({
    sim: { latencyMs: opts.latencyMs, jitterMs: Math.round(opts.latencyMs / 3), rpsLimit: 250, tpmLimit: simTpm },
    env: { MAX_API_RPS: '200', MAX_API_TPM: String(fleetTpm), LEARN_QUIET_MS: '3000', SWEEP_INTERVAL_MS: '5000' },
  });
  const samples: { t: number; counted: number }[] = [];
  const timer = setInterval(() => samples.push({ t: Date.now(), counted: p.sim.stats().tokens.counted }), 1000);
  try {
    const gw = new GatewayClient(p.gatewayUrl, p.apiKey);
    const t0 = Date.now();
    for (const [asin, reviews] of products) {
      for (let i = 0; i < reviews.length; i += 500) {
        const res = await gw.upload(asin, reviews.slice(i, i + 500).map(toUpload));
        if (res.status !== 202) throw new Error(`upload ${asin}: ${res.status}`);
      }
    }
    for (const [asin, reviews] of products) {
      await waitFor(
        `${asin} analysed`,
        async () => (await gw.product(asin)).body,
        // The product exists once ingest-svc has stored its first part (until then: 404, no `reviews`).
        (v) => v.reviews !== undefined && v.reviews.themes + v.reviews.failed >= reviews.length && v.reviews.insights + v.reviews.failed >= reviews.length,
        3_600_000,
        1000,
      );
    }
    const doneAt = Date.now();
    clearInterval(timer);
    const st = p.sim.stats();
    const first = samples.find((s) => s.counted > 0);
    const last = samples.find((s) => s.counted === st.tokens.counted) ?? samples.at(-1);
    const busyS = first && last ? Math.max(1, (last.t - first.t) / 1000 + 1) : (doneAt - t0) / 1000;
    const ofBound = st.tokens.counted / ((fleetTpm / 60) * busyS);
    const failed = (await Promise.all(products.map(async ([asin]) => (await gw.product(asin)).body.reviews.failed))).reduce((x, y) => x + y, 0);
    const result = {
      reviews: total,
      products: products.length,
      simTpm,
      fleetTpm,
      requests: st.requests,
      byKind: st.byKind,
      rejected429: st.rejected429,
      rejected429ByCause: st.rejected429ByCause,
      maxTokensIn60s: st.maxTokensIn60s,
      maxTokensIn1s: st.maxTokensIn1s,
      tokensCounted: st.tokens.counted,
      tokens: st.tokens,
      busySeconds: busyS,
      ofTokenBound: ofBound,
      failedReviews: failed,
      wallSeconds: (doneAt - t0) / 1000,
    };
    const rows: [string, string][] = [
      ['reviews analysed (failed)', `${total} (${failed})`],
      ['LLM calls at llm-sim', String(st.requests)],
      ['429 answers (requests/tokens/burst)', `${st.rejected429} (${st.rejected429ByCause.requests}/${st.rejected429ByCause.tokens}/${st.rejected429ByCause.burst})`],
      ['busiest 60-s token window ÷ account TPM', `${st.maxTokensIn60s} ÷ ${simTpm} = ${(st.maxTokensIn60s / simTpm).toFixed(3)}`],
      ['busiest 1-s token window ÷ account TPS', `${st.maxTokensIn1s} ÷ ${simTpm / 60} = ${(st.maxTokensIn1s / (simTpm / 60)).toFixed(3)}`],
      ['tokens used ÷ token bound (busy time)', `${st.tokens.counted} ÷ (${fleetTpm / 60}/s × ${busyS.toFixed(0)} s) = ${ofBound.toFixed(3)}`],
      ['wall time upload → all analysed', `${result.wallSeconds.toFixed(0)} s`],
    ];
    console.log('');
    for (const [k, v] of rows) console.log(`${k.padEnd(44)}${v}`);
    const checks = {
      '0 × 429': st.rejected429 === 0,
      'no 60-s window above the account TPM': st.maxTokensIn60s <= simTpm,
      'tokens used ≥ 0.9 of the token bound': ofBound >= 0.9,
      'no review failed': failed === 0,
    };
    console.log('');
    for (const [k, v] of Object.entries(checks)) console.log(`${v ? 'ok  ' : 'FAIL'}  ${k}`);
    const dir = path.resolve(__dirname, '../results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `tokens-pipeline-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ params: { ...opts, simTpm, fleetTpm, loadavg: os.loadavg() }, result, samples, checks }, null, 2));
    console.log(`\nJSON: ${path.relative(process.cwd(), file)}`);
    if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
  } finally {
    clearInterval(timer);
    await p.stop();
  }
}
