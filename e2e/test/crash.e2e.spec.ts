/**
 * Nothing accepted is lost, on one pipeline (one start-up for both):
 * - crashes: SIGKILL the LLM services while they hold messages (and have LLM
 *   calls in flight), start them again, and check every review still ends
 *   with exactly one translation and one set of results;
 * - outages and poison: a poison upload (a NUL in a body, helpfulVotes
 *   beyond integer) is accepted while PostgreSQL refuses connections, then
 *   hangs; every service holds its work and waits (readiness names
 *   PostgreSQL), and once the database is back every good review goes
 *   through every stage, the two bad ones are listed as rejected, and
 *   nothing is in the DLQ.
 */
import { connect } from 'nats';
import { publish } from '@voc/messaging';
import { loadReviewsByProduct, toUpload, usePipeline, waitFor } from '../src';

const PRODUCT = 'B00ZV9PXP2'; // 212 reviews in the shipped sample and in the dev set
const POISONED = 'B00QFQRELG'; // 73 reviews

describe('recovery from crashes and outages', () => {
  const f = usePipeline({
    databaseProxy: true,
    sim: { latencyMs: 400, jitterMs: 100 },
    env: { SWEEP_INTERVAL_MS: '2000', SWEEP_STALE_MS: '5000' },
  });
  const data = loadReviewsByProduct();
  const reviews = data.get(PRODUCT)!;


  it('finishes every review exactly once after translate, insight and theme workers are killed mid-run', async () => {
    const res = await f.gw.upload(PRODUCT, reviews.map(toUpload));
    expect(res.status).toBe(202);

    // Kill while work is in flight at each stage.
    await waitFor('translation under way', async () => (await f.gw.product(PRODUCT)).body, (v) => (v.reviews?.translated ?? 0) > 10, 60_000, 100);
    f.p.apps.get('translate-svc')!.kill('SIGKILL');
    await waitFor('analysis under way', async () => (await f.gw.product(PRODUCT)).body, (v) => (v.reviews?.insights ?? 0) > 10, 90_000, 100);
    f.p.apps.get('insight-svc')!.kill('SIGKILL');
    f.p.apps.get('theme-svc')!.kill('SIGKILL');
    const before = (await f.gw.product(PRODUCT)).body.reviews;
    expect(before.insights).toBeLessThan(reviews.length);

    await Promise.all([f.p.startService('translate-svc'), f.p.startService('insight-svc'), f.p.startService('theme-svc')]);
    const n = reviews.length;
    const done = await waitFor(
      'all stages after restart',
      async () => (await f.gw.product(PRODUCT)).body,
      (v) => v.reviews.translated === n && v.reviews.insights === n && v.reviews.themes === n,
      240_000,
      1000,
    );
    expect(done.reviews.failed).toBe(0);

    const perReview = await f.db.query<{ n: string }>(`SELECT count(i.id) n FROM reviews r LEFT JOIN insights i ON i.review_pk = r.id GROUP BY r.id`);
    expect(perReview.rows).toHaveLength(n);
    for (const r of perReview.rows) {
      expect(Number(r.n)).toBeGreaterThanOrEqual(3);
      expect(Number(r.n)).toBeLessThanOrEqual(5);
    }
    const themeDupes = await f.db.query(`SELECT review_pk, category, label_id FROM themes GROUP BY 1, 2, 3 HAVING count(*) > 1`);
    expect(themeDupes.rowCount).toBe(0);
    const dlq = await f.db.query(`SELECT count(*) n FROM reviews WHERE translate_status <> 'done' OR insight_status <> 'done' OR theme_status <> 'done'`);
    expect(Number(dlq.rows[0].n)).toBe(0);
    const queues = (await f.gw.request<{ dlq: { total: number } }>('GET', '/v1/queues')).body;
    expect(queues.dlq.total).toBe(0);
  }, 420_000);

  it('holds what was accepted during a database outage and analyses every good review of a poison upload, with nothing dead-lettered', async () => {
    const good = data.get(POISONED)!.map(toUpload);
    const proxy = f.p.dbProxy!;
    await proxy.setMode('refuse');

    // The gateway refuses a poison product field (400, nothing queued) and accepts the clean upload meanwhile;
    // a poison part as an older gateway or another producer could have queued it goes to INGEST directly.
    const refused = await f.gw.upload(POISONED, good.slice(0, 40), { title: 'Kettle', bulletPoints: ['1.7 L', 'Boils in\u0000 3 min'] });
    expect(refused.status).toBe(400);
    const res = await f.gw.upload(POISONED, good.slice(0, 40), { title: 'Kettle', bulletPoints: ['1.7 L'] });
    expect(res.status).toBe(202);
    const nc = await connect({ servers: f.p.stack.natsUrl });
    try {
      await publish(nc.jetstream(), 'INGEST', {
        uploadId: 'older-gateway-1',
        asin: POISONED,
        product: { title: 'Kettle', bulletPoints: ['1.7 L', 'Boils in\u0000 3 min'] },
        reviews: [
          ...good.slice(40),
          { reviewId: 'poison-nul', rating: 5, body: 'Great kettle\u0000 really' },
          { reviewId: 'poison-votes', rating: 4, body: 'Fine kettle', helpfulVotes: 3_000_000_000 },
        ],
      });
    } finally {
      await nc.close();
    }

    // ingest-svc holds the uploads and says why.
    const ingest = f.p.apps.get('ingest-svc')!;
    const readiness = await waitFor(
      'ingest-svc waiting for postgres',
      async () => (await fetch(`http://127.0.0.1:${ingest.port}/readyz`)).json() as Promise<{ checks?: { name: string; ok: boolean; error?: string }[] }>,
      (r) => !!r.checks?.some((c) => c.name === 'dependencies' && !c.ok && /waiting for postgres/.test(c.error ?? '')),
      30_000,
      250,
    );
    expect(readiness.checks?.find((c) => c.name === 'dependencies')?.error).toMatch(/waiting for postgres since/);
    await new Promise((r) => setTimeout(r, 10_000));

    // Then it hangs for a while (queries stall, nothing answers), then comes back.
    await proxy.setMode('hang');
    await new Promise((r) => setTimeout(r, 8_000));
    await proxy.setMode('pass');

    const n = good.length;
    const done = await waitFor(
      'every good review through every stage',
      async () => (await f.gw.request<{ reviews: { total: number; translated: number; insights: number; themes: number; failed: number; rejected: number } }>('GET', `/v1/products/${POISONED}`)).body,
      (v) => v.reviews?.total === n && v.reviews.translated === n && v.reviews.insights === n && v.reviews.themes === n,
      240_000,
      1000,
    );
    expect(done.reviews).toMatchObject({ failed: 0, rejected: 2 });
    const rejected = (await f.gw.request<{ items: { reviewId: string }[] }>('GET', `/v1/products/${POISONED}/reviews?status=rejected`)).body;
    expect(rejected.items.map((r) => r.reviewId).sort()).toEqual(['poison-nul', 'poison-votes']);
    // The poison bullet point is recorded as a rejected product field, shown on the product.
    const product = (await f.gw.request<{ rejectedFields: { field: string }[] }>('GET', `/v1/products/${POISONED}`)).body;
    expect(product.rejectedFields.some((r) => r.field.startsWith('bulletPoints'))).toBe(true);
    const queues = (await f.gw.request<{ dlq: { total: number } }>('GET', '/v1/queues')).body;
    expect(queues.dlq.total).toBe(0);
  }, 420_000);
});
