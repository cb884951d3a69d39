/**
 * Lose no review on any crash: SIGKILL the LLM services while they hold
 * messages (and have LLM calls in flight), start them again, and check every
 * review still ends with exactly one translation and one set of results.
 */
import { loadReviewsByProduct, toUpload, usePipeline, waitFor } from '../src';

const PRODUCT = 'B00ZV9PXP2'; // 212 reviews in the shipped sample and in the dev set

describe('crash recovery', () => {
  const f = usePipeline({ sim: { latencyMs: 400, jitterMs: 100 }, env: { SWEEP_INTERVAL_MS: '2000', SWEEP_STALE_MS: '5000' } });
  const reviews = loadReviewsByProduct().get(PRODUCT)!;


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
});
