/**
 * The whole pipeline on real NATS, Redis and PostgreSQL with llm-sim: upload
 * real reviews through the gateway, wait until every stage is done, then
 * check the database, the simulator's call counts and the report.
 */
import { createHash } from 'node:crypto';
import type { ReportContent } from '@voc/pipeline';
import { countBatches } from '@voc/review-classifier';
import { loadReviewsByProduct, toUpload, usePipeline, waitFor, type DataReview } from '../src';

// A product with enough reviews to be learned at once, one that grows past
// LEARN_MIN_REVIEWS only with its second upload, and a tiny one learned when its uploads go quiet.
const PRODUCTS = ['B00VINDBJK', 'B01BFIBRIE', 'B00REQKWGA'];

describe('pipeline end to end', () => {
  const f = usePipeline({ env: { LEARN_MIN_REVIEWS: '20', LEARN_QUIET_MS: '3000', SWEEP_INTERVAL_MS: '1000' } });
  const data = loadReviewsByProduct();
  const reviews = new Map<string, DataReview[]>(PRODUCTS.map((a) => [a, data.get(a)!]));
  const total = [...reviews.values()].reduce((n, r) => n + r.length, 0);


  const counts = async () => {
    const r = await f.db.query<{ reviews: string; insights: string; themes: string; dims: string; labels: string; reports: string }>(`
      SELECT (SELECT count(*) FROM reviews) reviews, (SELECT count(*) FROM insights) insights, (SELECT count(*) FROM themes) themes,
             (SELECT count(*) FROM dimensions) dims, (SELECT count(*) FROM labels) labels, (SELECT count(*) FROM reports) reports`);
    return r.rows[0]!;
  };

  it('uploads concurrently, like many plug-ins, and processes every review through every stage', async () => {
    const uploads = PRODUCTS.flatMap((asin) => {
      const rs = reviews.get(asin)!.map(toUpload);
      const half = Math.ceil(rs.length / 2);
      return [f.gw.upload(asin, rs.slice(0, half), { title: `Product ${asin}`, bulletPoints: ['Long battery life', 'Lightweight'] }), f.gw.upload(asin, rs.slice(half))];
    });
    const res = await Promise.all(uploads);
    for (const r of res) expect(r.status).toBe(202);
    expect(res.reduce((n, r) => n + r.body.accepted, 0)).toBe(total);

    for (const asin of PRODUCTS) {
      const n = reviews.get(asin)!.length;
      const done = await waitFor(
        `product ${asin}`,
        async () => (await f.gw.product(asin)).body,
        (v) => v.reviews?.total === n && v.reviews.translated === n && v.reviews.insights === n && v.reviews.themes === n,
      );
      expect(done.learned).toBe(true);
      expect(done.reviews.failed).toBe(0);
      expect(done.dimensions.length).toBeGreaterThanOrEqual(5);
    }
  }, 300_000);

  it('gives every review exactly its own translation, 3–5 insights on its product\'s dimensions, and themes on its labels', async () => {
    const rows = await f.db.query<{ asin: string; review_id: string; body: string; body_zh: string }>('SELECT asin, review_id, body, body_zh FROM reviews');
    expect(rows.rowCount).toBe(total);
    for (const r of rows.rows) {
      // llm-sim tags each translation with a fingerprint of the text it translated.
      const fp = createHash('sha1').update(r.body).digest('hex').slice(0, 8);
      expect(r.body_zh).toContain(`【译文·${fp}】`);
    }
    const perReview = await f.db.query<{ n: string; wrong_product: string }>(`
      SELECT count(i.id) n, count(i.id) FILTER (WHERE d.asin <> r.asin) wrong_product
      FROM reviews r LEFT JOIN insights i ON i.review_pk = r.id LEFT JOIN dimensions d ON d.id = i.dimension_id
      GROUP BY r.id`);
    for (const r of perReview.rows) {
      expect(Number(r.n)).toBeGreaterThanOrEqual(3);
      expect(Number(r.n)).toBeLessThanOrEqual(5);
      expect(Number(r.wrong_product)).toBe(0);
    }
    const themes = await f.db.query<{ bad: string; reviews: string }>(`
      SELECT count(*) FILTER (WHERE l.asin <> t.asin OR l.category <> t.category) bad, count(DISTINCT t.review_pk) reviews
      FROM themes t JOIN labels l ON l.id = t.label_id`);
    expect(Number(themes.rows[0]!.bad)).toBe(0);
    expect(Number(themes.rows[0]!.reviews)).toBeGreaterThan(total * 0.5);
  });

  it('made exactly the translation calls the classifier plans', async () => {
    const planned = PRODUCTS.reduce((n, asin) => {
      // Each upload half is planned on its own, as ingest-svc plans each message.
      const rs = reviews.get(asin)!;
      const half = Math.ceil(rs.length / 2);
      return n + countBatches(rs.slice(0, half)) + countBatches(rs.slice(half));
    }, 0);
    const s = f.p.sim.stats();
    expect(s.malformed).toBe(0);
    // Bullet points: one batch call per product.
    expect(s.byKind.translate_single + s.byKind.translate_batch).toBe(planned + PRODUCTS.length);
  });

  it('builds a report whose counts match the database', async () => {
    const asin = PRODUCTS[0]!;
    const created = await f.gw.request<{ reportId: string }>('POST', `/v1/products/${asin}/reports`);
    expect(created.status).toBe(202);
    const ready = await waitFor(
      'report',
      async () => (await f.gw.request<{ status: string; report?: ReportContent }>('GET', `/v1/reports/${created.body.reportId}`)).body,
      (r) => r.status === 'ready',
      60_000,
    );
    const report = ready.report!;
    const n = reviews.get(asin)!.length;
    expect(report.reviews.total).toBe(n);
    expect(Object.values(report.reviews.byRating).reduce((a, b) => a + b, 0)).toBe(n);
    const byRating = await f.db.query<{ rating: number; n: string }>('SELECT rating, count(*) n FROM reviews WHERE asin = $1 GROUP BY rating', [asin]);
    for (const r of byRating.rows) expect(report.reviews.byRating[String(r.rating) as keyof ReportContent['reviews']['byRating']]).toBe(Number(r.n));
    const insights = await f.db.query<{ n: string }>('SELECT count(*) n FROM insights WHERE asin = $1', [asin]);
    expect(report.dimensions.reduce((a, d) => a + d.total, 0)).toBe(Number(insights.rows[0]!.n));
    expect(report.coverage.translated).toBe(n);
    const html = await f.gw.request<string>('GET', `/v1/reports/${created.body.reportId}`, undefined, 'text/html');
    expect(html.status).toBe(200);
    expect(html.body).toContain('<svg');
  }, 90_000);

  it('creates no duplicate row anywhere when the same file is uploaded twice', async () => {
    const before = await counts();
    const callsBefore = f.p.sim.stats().requests;
    for (const asin of PRODUCTS) {
      const r = await f.gw.upload(asin, reviews.get(asin)!.map(toUpload));
      expect(r.status).toBe(202);
    }
    // Let ingest (and a few sweeps) run over the re-sent reviews.
    await waitFor('ingest drained', async () => (await f.gw.request<{ streams?: Record<string, { pending: number; inFlight: number }> }>('GET', '/v1/queues')).body, (q) => q.streams?.INGEST?.pending === 0 && q.streams?.INGEST?.inFlight === 0, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await counts()).toEqual(before);
    expect(f.p.sim.stats().requests).toBe(callsBefore);
  }, 120_000);
});
