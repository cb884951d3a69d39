import { messageCount, startHarness, type Harness } from './support';

jest.setTimeout(120_000);

const ASIN = 'B00ACTION1';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ GATEWAY_LEARN_COOLDOWN_S: '60', GATEWAY_REPORT_COOLDOWN_S: '60' });
  await h.db.product.create({ data: { asin: ASIN, learningState: 'learned', learningVersion: 1 } });
  await h.db.review.create({ data: { asin: ASIN, reviewId: 'A1', rating: 5, body: 'fine', category: 'short', bodyLength: 4, uploadId: 'seed' } });
});
afterAll(async () => {
  await h?.stop();
});

const learn = () => h.api(`/v1/products/${ASIN}/learn`, { method: 'POST' });
const report = () => h.api(`/v1/products/${ASIN}/reports`, { method: 'POST' });

describe('POST /v1/products/:asin/learn is idempotent and cooled down per key', () => {
  it('answers a request while a job is queued or running with that job, queuing nothing', async () => {
    const first = await learn();
    expect(first.status).toBe(202);
    const { jobId } = await first.json();
    const queued = await messageCount(h.jsm, 'LEARNING');
    for (const status of ['queued', 'running'] as const) {
      await h.db.learningJob.update({ where: { id: jobId }, data: { status } });
      const again = await learn();
      expect(again.status).toBe(202);
      expect(await again.json()).toEqual({ jobId, existing: true });
    }
    expect(await messageCount(h.jsm, 'LEARNING')).toBe(queued);
    expect(await h.db.learningJob.count({ where: { asin: ASIN } })).toBe(1);
  });

  it('refuses a new job within the cooldown (429 cooldown + Retry-After); another key may', async () => {
    await h.db.learningJob.updateMany({ where: { asin: ASIN }, data: { status: 'done' } });
    const r = await learn();
    expect(r.status).toBe(429);
    expect((await r.json()).error.code).toBe('cooldown');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(50);
    const other = await h.api(`/v1/products/${ASIN}/learn`, { method: 'POST', key: 'second-key-for-rotation' });
    expect(other.status).toBe(202);
    expect((await other.json()).existing).toBe(false);
  });
});

describe('POST /v1/products/:asin/reports reuses the report of unchanged data', () => {
  it('returns the last report while nothing changed; a change needs a new one, which the cooldown refuses until it passes', async () => {
    const first = await report();
    expect(first.status).toBe(202);
    const { reportId } = await first.json();
    const published = await messageCount(h.jsm, 'REPORT');
    const again = await report();
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ reportId, existing: true });
    // Still the same once it is ready (nothing changed since).
    await h.db.report.update({ where: { id: reportId }, data: { status: 'ready', readyAt: new Date() } });
    expect((await (await report()).json()).reportId).toBe(reportId);
    expect(await messageCount(h.jsm, 'REPORT')).toBe(published);

    // A review finished translating: the data changed.
    await h.db.review.updateMany({ where: { asin: ASIN }, data: { translateStatus: 'done' } });
    const changed = await report();
    expect(changed.status).toBe(429);
    expect((await changed.json()).error.code).toBe('cooldown');
    const other = await h.api(`/v1/products/${ASIN}/reports`, { method: 'POST', key: 'second-key-for-rotation' });
    expect(other.status).toBe(202);
    const fresh = await other.json();
    expect(fresh).toEqual({ reportId: expect.any(String), existing: false });
    expect(fresh.reportId).not.toBe(reportId);
    expect(await messageCount(h.jsm, 'REPORT')).toBe(published + 1);
    // A failed report is never reused.
    await h.db.report.update({ where: { id: fresh.reportId }, data: { status: 'failed' } });
    const third = await h.api(`/v1/products/${ASIN}/reports`, { method: 'POST', key: 'second-key-for-rotation' });
    expect(third.status).toBe(429);
  });
});
