import { startHarness, type Harness } from './support';

jest.setTimeout(120_000);

const A = 'B00USAGE01';
const B = 'B00USAGE02';
let h: Harness;

const row = (service: string, stage: string, asin: string, day: string, calls: number, cost: number) => ({
  service,
  model: 'qwen-plus-latest',
  stage,
  asin,
  day: new Date(`${day}T00:00:00Z`),
  calls,
  promptTokens: calls * 500,
  completionTokens: calls * 100,
  cachedTokens: calls * 200,
  limitTokens: calls * 1200,
  cost,
  failures: 0,
});

beforeAll(async () => {
  h = await startHarness();
  await h.db.product.createMany({ data: [{ asin: A }, { asin: B }] });
  await h.db.llmUsage.createMany({
    data: [
      row('translate-svc', 'translate_batch', A, '2026-11-29', 10, 0.01),
      row('insight-svc', 'insight', A, '2026-11-29', 20, 0.03),
      // Learning done by insight-svc as a backup is booked under its stage.
      row('insight-svc', 'learning', A, '2026-11-30', 1, 0.002),
      row('theme-svc', 'theme', B, '2026-11-30', 5, 0.005),
    ],
  });
});
afterAll(async () => {
  await h?.stop();
});

describe('GET /v1/usage', () => {
  it('sums by day, model and stage by default, with totals, largest cost first', async () => {
    const r = await h.api('/v1/usage');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.groupBy).toEqual(['day', 'model', 'stage']);
    expect(body.currency).toBe('CNY');
    expect(body.totals).toMatchObject({ calls: 36, promptTokens: 18_000, completionTokens: 3600, cachedTokens: 7200, limitTokens: 43_200 });
    expect(body.totals.cost).toBeCloseTo(0.047, 6);
    expect(body.rows).toHaveLength(4);
    expect(body.rows[0]).toMatchObject({ day: '2026-11-29', model: 'qwen-plus-latest', stage: 'insight', calls: 20 });
  });

  it('groups by product and service, and filters by day, product and stage', async () => {
    const byProduct = await (await h.api('/v1/usage?groupBy=product')).json();
    expect(byProduct.rows.map((x: { product: string; calls: number }) => [x.product, x.calls])).toEqual([[A, 31], [B, 5]]);
    const day = await (await h.api('/v1/usage?groupBy=service,stage&from=2026-11-30&to=2026-11-30')).json();
    expect(day.rows).toEqual([
      expect.objectContaining({ service: 'theme-svc', stage: 'theme', calls: 5 }),
      expect.objectContaining({ service: 'insight-svc', stage: 'learning', calls: 1 }),
    ]);
    const learning = await (await h.api(`/v1/usage?groupBy=&asin=${A}&stage=learning`)).json();
    expect(learning.rows).toEqual([expect.objectContaining({ calls: 1 })]);
  });

  it.each([
    ['groupBy=week', 'groupBy'],
    ['from=2026-13-01', 'from'],
    ['from=2026-11-30&to=2026-11-01', 'from'],
    ['asin=nope', 'asin'],
    ['stage=%20drop', 'stage'],
    ['model=a&model=b', 'model'],
  ])('answers 400 for %s, naming %s', async (query, field) => {
    const r = await h.api(`/v1/usage?${query}`);
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.error.details[0].field).toBe(field);
  });

  it('needs the API key', async () => {
    expect((await h.api('/v1/usage', { auth: false })).status).toBe(401);
  });
});

describe('usage in GET /v1/products/:asin', () => {
  it('shows the product total and per stage', async () => {
    const p = await (await h.api(`/v1/products/${A}`)).json();
    expect(p.usage).toMatchObject({ calls: 31, byStage: { insight: { calls: 20 }, translate_batch: { calls: 10 }, learning: { calls: 1 } } });
    expect(p.usage.cost).toBeCloseTo(0.042, 6);
  });
});
