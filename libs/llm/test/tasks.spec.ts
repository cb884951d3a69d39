import { FIVE_W } from '@voc/prompts';
import { extractInsights, extractThemes, learnProduct, translateBatchWithFallback, translateBulletPoints } from '../src';
import { translateBatch, translateSingle } from '../src/tasks/translate';
import { metricSum, testClient, type TestClient } from './support/client';
import { translationTag, type LlmSim } from '@voc/llm-sim';
import { startTestSim } from './support/sim';

const REVIEWS = [
  'Total lemon. Stopped working after 2 days! I bought it for my kids as a Christmas gift.',
  'Great value for the price. Easy to set up in my office, still works after six months.',
  'The color is nice but the battery is weak. Customer service offered a refund quickly.',
];

describe('task functions against llm-sim (happy paths)', () => {
  let sim: LlmSim;
  let t: TestClient;

  beforeAll(async () => {
    sim = await startTestSim({ seed: 'tasks' });
  }, 60_000);
  afterAll(() => sim?.stop());
  beforeEach(() => {
    t = testClient(sim.baseUrl);
  });

  it('translateSingle: the review gets its own translation; usage and metrics are reported', async () => {
    const text = REVIEWS[0]!;
    const out = await translateSingle(t.client, { text, rating: 1, asin: 'B0A', priority: 'vip' });
    expect(out.startsWith(translationTag(text))).toBe(true);
    expect(t.limiter.acquired).toEqual(['vip']);
    expect(t.usage).toEqual([
      expect.objectContaining({ service: 'llm-test', model: 'qwen-plus-latest', asin: 'B0A', kind: 'translate_single', ok: true }),
    ]);
    expect(t.usage[0]!.promptTokens).toBeGreaterThan(50);
    expect(t.usage[0]!.completionTokens).toBeGreaterThan(5);
    expect(await metricSum(t.registry, 'llm_requests_total', { kind: 'translate_single', outcome: 'ok' })).toBe(1);
    expect(await metricSum(t.registry, 'llm_tokens_total', { type: 'prompt' })).toBe(t.usage[0]!.promptTokens);
    expect(await metricSum(t.registry, 'llm_request_duration_seconds', { kind: 'translate_single' })).toBe(1);
  });

  it('translateBatch: one call, each id gets the translation of its own text', async () => {
    const items = REVIEWS.map((text, i) => ({ id: `rev-${i}`, text }));
    const out = await translateBatch(t.client, items, { asin: 'B0A' });
    expect([...out.keys()]).toEqual(items.map((i) => i.id));
    for (const item of items) expect(out.get(item.id)!.startsWith(translationTag(item.text))).toBe(true);
    expect(t.limiter.acquired).toEqual(['normal']);
  });

  it('translateBatchWithFallback: a clean batch costs one call', async () => {
    const items = REVIEWS.map((text, i) => ({ id: i, text }));
    const res = await translateBatchWithFallback(t.client, items);
    expect(res).toMatchObject({ calls: 1, fallbacks: 0, failed: [] });
    for (const item of items) expect(res.translations.get(item.id)!.startsWith(translationTag(item.text))).toBe(true);
  });

  it('translateBulletPoints: translations in bullet order', async () => {
    const bullets = ['LONG BATTERY: 40 hours of playtime.', 'COMFORT FIT: three ear tip sizes.'];
    const out = await translateBulletPoints(t.client, { bulletPoints: bullets, asin: 'B0A' });
    expect(out.map((s, i) => s.startsWith(translationTag(bullets[i]!)))).toEqual([true, true]);
  });

  it('extractInsights: 3–5 insights on the given dimensions, quoting the review', async () => {
    const dimensions = [{ name: '电池续航' }, { name: '产品质量' }, { name: '售后服务' }];
    const review = REVIEWS[2]!;
    const insights = await extractInsights(t.client, { review, dimensions, asin: 'B0A', rating: 3 });
    expect(insights.length).toBeGreaterThanOrEqual(3);
    expect(insights.length).toBeLessThanOrEqual(5);
    for (const i of insights) {
      expect(dimensions.map((d) => d.name)).toContain(i.dimension);
      expect(review).toContain(i.quote);
      expect(i.analysis).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await extractInsights(t.client, { review: '  ', dimensions, asin: 'B0A' })).toEqual([]);
  });

  it('extractThemes: labels of their category, quoting the review', async () => {
    const labels = { who: [{ name: '宝妈宝爸' }, { name: '上班族' }], when: [{ name: '节日送礼' }], where: [{ name: '办公室' }] };
    for (const review of REVIEWS) {
      const themes = await extractThemes(t.client, { review, labels, asin: 'B0A' });
      expect(themes.length).toBeGreaterThan(0);
      for (const th of themes) {
        expect(labels[th.category as keyof typeof labels].map((l) => l.name)).toContain(th.label);
        expect(review).toContain(th.quote);
      }
    }
  });

  it('learnProduct: 5–8 dimensions and a full 5W label set, on the VIP lane', async () => {
    const model = await learnProduct(t.client, { asin: 'B0A', title: 'Kids tablet', bulletPoints: ['10 hour battery'], sampleReviews: REVIEWS });
    expect(model.dimensions.length).toBeGreaterThanOrEqual(5);
    expect(model.dimensions.length).toBeLessThanOrEqual(8);
    for (const w of FIVE_W) expect(model.labels[w].length).toBeGreaterThanOrEqual(2);
    expect(t.limiter.acquired).toEqual(['vip']);
    await expect(learnProduct(t.client, { asin: 'B0A', sampleReviews: [' '] })).rejects.toThrow(/no sample reviews/);
  });

  it('chat: any other prompt is a plain completion', async () => {
    const res = await t.client.chat({ kind: 'other', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(res.content.length).toBeGreaterThan(0);
    expect(res).toMatchObject({ finishReason: 'stop', attempts: 1, model: 'qwen-plus-latest' });
    expect(res.usage.totalTokens).toBe(res.usage.promptTokens + res.usage.completionTokens);
  });
});
