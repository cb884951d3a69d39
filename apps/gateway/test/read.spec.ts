import SwaggerParser from '@apidevtools/swagger-parser';
import Redis from 'ioredis';
import { ensureConsumer, QUEUES, type LearningJob, type ReportJob } from '@voc/messaging';
import type { ReportContent } from '@voc/pipeline';
import { createRateLimiter } from '@voc/rate-limiter';
import { ERROR_CODES } from '../src/errors';
import { eventually, messageCount, startHarness, streamMessages, type ApiResponse, type Harness } from './support';

jest.setTimeout(120_000);

const ASIN = 'B00READ001';
const EMPTY = 'B00READ002';
const UNKNOWN = 'B00NOSUCH1';
let h: Harness;
let reviewPks: number[];
const reports: Record<'ready' | 'pending' | 'failed', string> = { ready: '', pending: '', failed: '' };

const content: ReportContent = {
  asin: ASIN,
  title: 'Reader <Pro>',
  generatedAt: '2026-11-23T00:00:00Z',
  learning: { version: 1, learnedAt: '2026-11-23T00:00:00Z', learnedFromReviews: 7 },
  reviews: { total: 7, averageRating: 3.9, byRating: { '1': 1, '2': 0, '3': 1, '4': 2, '5': 3 }, byCategory: { vip: 1, standard: 2, short: 4 } },
  coverage: { translated: 4, withInsights: 2, withThemes: 1, failed: 2, translationRatio: 4 / 7 },
  dimensions: [
    { name: '电池续航', description: 'battery', total: 2, positive: 1, negative: 1, neutral: 0, mixed: 0, quotes: { positive: ['lasts'], negative: ['dies'] } },
  ],
  personas: { who: [{ label: '学生', count: 1, share: 1 }], when: [], where: [], what: [], why: [] },
};

async function seed(): Promise<void> {
  const { db } = h;
  await db.product.create({
    data: { asin: ASIN, title: 'Reader <Pro>', bulletPoints: ['Light', 'Waterproof'], bulletPointsZh: ['轻', '防水'], learningState: 'learned', learningVersion: 1 },
  });
  await db.product.create({ data: { asin: EMPTY } });
  // 7 reviews: translate done ×4, failed ×1, pending ×2; insight done ×2, failed ×1 (another review); theme done ×1.
  const statuses = [
    { translateStatus: 'done', insightStatus: 'done', themeStatus: 'done' },
    { translateStatus: 'done', insightStatus: 'done', themeStatus: 'queued' },
    { translateStatus: 'done', insightStatus: 'failed', themeStatus: 'pending' },
    { translateStatus: 'done', insightStatus: 'pending', themeStatus: 'pending' },
    { translateStatus: 'failed', insightStatus: 'pending', themeStatus: 'pending' },
    { translateStatus: 'pending', insightStatus: 'pending', themeStatus: 'pending' },
    { translateStatus: 'pending', insightStatus: 'pending', themeStatus: 'pending' },
  ] as const;
  reviewPks = [];
  for (const [i, s] of statuses.entries()) {
    const r = await db.review.create({
      data: {
        asin: ASIN,
        reviewId: `RV${i}`,
        rating: (i % 5) + 1,
        body: `body ${i}`,
        bodyZh: s.translateStatus === 'done' ? `译文 ${i}` : null,
        category: 'short',
        bodyLength: 6,
        uploadId: 'seed',
        ...s,
      },
    });
    reviewPks.push(r.id);
  }
  const dim = await db.dimension.create({ data: { asin: ASIN, name: '电池续航', description: 'battery life', learningVersion: 1 } });
  const label = await db.label.create({ data: { asin: ASIN, category: 'who', name: '学生', description: 'students', learningVersion: 1 } });
  await db.insight.createMany({
    data: [0, 1].map((position) => ({
      reviewPk: reviewPks[0]!,
      asin: ASIN,
      dimensionId: dim.id,
      sentiment: position === 0 ? 'positive' : 'negative',
      quote: `quote ${position}`,
      analysis: `分析 ${position}`,
      position,
      learningVersion: 1,
    })),
  });
  await db.theme.create({ data: { reviewPk: reviewPks[0]!, asin: ASIN, category: 'who', labelId: label.id, quote: 'as a student', learningVersion: 1 } });
  reports.ready = (await db.report.create({ data: { asin: ASIN, status: 'ready', content: content as object, readyAt: new Date() } })).id;
  reports.pending = (await db.report.create({ data: { asin: ASIN } })).id;
  reports.failed = (await db.report.create({ data: { asin: ASIN, status: 'failed', error: 'no reviews yet' } })).id;
}

beforeAll(async () => {
  h = await startHarness();
  await seed();
});
afterAll(async () => {
  await h?.stop();
});

const errorCode = async (r: ApiResponse) => (await r.json()).error.code as string;

describe('GET /v1/products/:asin', () => {
  it('shows counts per stage, dimensions, labels and bullet points', async () => {
    const r = await h.api(`/v1/products/${ASIN}`);
    expect(r.status).toBe(200);
    const p = await r.json();
    expect(p).toMatchObject({
      asin: ASIN,
      learned: true,
      learningState: 'learned',
      reviews: { total: 7, translated: 4, insights: 2, themes: 1, failed: 2 },
      dimensions: [{ name: '电池续航', description: 'battery life' }],
      labels: [{ category: 'who', name: '学生', description: 'students' }],
      bulletPoints: ['Light', 'Waterproof'],
      bulletPointsZh: ['轻', '防水'],
    });
    expect(p.stages.translate).toEqual({ pending: 2, queued: 0, done: 4, failed: 1 });
  });

  it('404s an unknown product and 400s a malformed ASIN', async () => {
    const unknown = await h.api(`/v1/products/${UNKNOWN}`);
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('not_found');
    const bad = await h.api('/v1/products/not-an-asin');
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe('invalid_asin');
  });
});

describe('GET /v1/products/:asin/reviews', () => {
  it('pages through every review with its translation, insights and themes', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const q: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const r = await h.api(`/v1/products/${ASIN}/reviews${q}`);
      expect(r.status).toBe(200);
      const page = (await r.json()) as { items: { reviewId: string }[]; nextCursor: string | null };
      sizes.push(page.items.length);
      seen.push(...page.items.map((i) => i.reviewId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(['RV0', 'RV1', 'RV2', 'RV3', 'RV4', 'RV5', 'RV6']);

    const first = (await (await h.api(`/v1/products/${ASIN}/reviews?limit=1`)).json()).items[0];
    expect(first).toMatchObject({
      reviewId: 'RV0',
      translation: { body: '译文 0', status: 'done' },
      insights: [
        { dimension: '电池续航', sentiment: 'positive', quote: 'quote 0', analysis: '分析 0' },
        { dimension: '电池续航', sentiment: 'negative', quote: 'quote 1', analysis: '分析 1' },
      ],
      themes: [{ category: 'who', label: '学生', quote: 'as a student' }],
    });
  });

  it('uses 50 by default and an empty page for a product without reviews', async () => {
    expect((await (await h.api(`/v1/products/${ASIN}/reviews`)).json()).items).toHaveLength(7);
    expect(await (await h.api(`/v1/products/${EMPTY}/reviews`)).json()).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    ['limit=0', 'invalid_query'],
    ['limit=201', 'invalid_query'],
    ['limit=abc', 'invalid_query'],
    ['limit=2&limit=3', 'invalid_query'],
    ['cursor=bm9wZQ', 'invalid_cursor'],
  ])('refuses %s with 400 %s', async (query, code) => {
    const r = await h.api(`/v1/products/${ASIN}/reviews?${query}`);
    expect(r.status).toBe(400);
    expect(await errorCode(r)).toBe(code);
  });

  it('404s an unknown product', async () => {
    expect((await h.api(`/v1/products/${UNKNOWN}/reviews`)).status).toBe(404);
  });
});

describe('POST /v1/products/:asin/learn', () => {
  it('queues learning: 202 { jobId }, a LEARNING message and a learning_jobs row', async () => {
    const r = await h.api(`/v1/products/${EMPTY}/learn`, { method: 'POST' });
    expect(r.status).toBe(202);
    const { jobId } = await r.json();
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const msgs = await streamMessages<LearningJob>(h.jsm, 'LEARNING');
    expect(msgs.map((m) => m.job)).toContainEqual({ jobId, asin: EMPTY, reason: 'manual' });
    expect(await h.db.learningJob.findUnique({ where: { id: jobId } })).toMatchObject({ asin: EMPTY, reason: 'manual', status: 'queued' });
    expect((await h.db.product.findUnique({ where: { asin: EMPTY } }))?.learningState).toBe('queued');
  });

  it('404s an unknown product and queues nothing', async () => {
    const before = await messageCount(h.jsm, 'LEARNING');
    const r = await h.api(`/v1/products/${UNKNOWN}/learn`, { method: 'POST' });
    expect(r.status).toBe(404);
    expect(await messageCount(h.jsm, 'LEARNING')).toBe(before);
  });
});

describe('reports', () => {
  it('POST queues a report that GET shows as pending', async () => {
    const r = await h.api(`/v1/products/${ASIN}/reports`, { method: 'POST' });
    expect(r.status).toBe(202);
    const { reportId } = await r.json();
    expect(r.headers.get('location')).toBe(`/v1/reports/${reportId}`);
    const msgs = await streamMessages<ReportJob>(h.jsm, 'REPORT');
    expect(msgs.map((m) => m.job)).toContainEqual({ reportId, asin: ASIN });
    const got = await (await h.api(`/v1/reports/${reportId}`)).json();
    expect(got).toMatchObject({ id: reportId, asin: ASIN, status: 'pending' });
    expect(got).not.toHaveProperty('report');
  });

  it('POST 404s an unknown product', async () => {
    const before = await h.db.report.count();
    expect((await h.api(`/v1/products/${UNKNOWN}/reports`, { method: 'POST' })).status).toBe(404);
    expect(await h.db.report.count()).toBe(before);
  });

  it('GET returns a ready report as JSON, or as HTML when asked', async () => {
    const asJson = await h.api(`/v1/reports/${reports.ready}`);
    expect(asJson.status).toBe(200);
    expect(await asJson.json()).toMatchObject({ id: reports.ready, asin: ASIN, status: 'ready', report: content });

    const asHtml = await h.api(`/v1/reports/${reports.ready}`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(asHtml.status).toBe(200);
    expect(asHtml.headers.get('content-type')).toMatch(/^text\/html/);
    expect(asHtml.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await asHtml.text();
    expect(html).toContain('Reader &lt;Pro&gt;');
    expect(html).toContain('电池续航');
  });

  it('GET shows why a report failed, and answers JSON for a pending report even to a browser', async () => {
    expect(await (await h.api(`/v1/reports/${reports.failed}`)).json()).toMatchObject({ status: 'failed', error: 'no reviews yet' });
    const pending = await h.api(`/v1/reports/${reports.pending}`, { headers: { Accept: 'text/html' } });
    expect(pending.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await pending.json()).status).toBe('pending');
  });

  it('GET 404s an unknown id and 400s a malformed one', async () => {
    expect((await h.api('/v1/reports/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const bad = await h.api('/v1/reports/42');
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe('invalid_report_id');
  });
});

describe('GET /v1/queues', () => {
  it('shows stored, pending, in-flight and dead-lettered messages per stream, and the limiter', async () => {
    // Reports queued, a worker holding one of them, and one REPORT dead letter.
    const stored = await messageCount(h.jsm, 'REPORT');
    expect(stored).toBeGreaterThanOrEqual(1);
    await ensureConsumer(h.jsm, 'REPORT');
    const consumer = await h.nc.jetstream().consumers.get('REPORT', QUEUES.REPORT.durable);
    const held = await consumer.next({ expires: 5000 });
    expect(held).not.toBeNull();
    await h.nc.jetstream().publish(QUEUES.REPORT.dlqSubject, '{}');

    const redis = new Redis(h.stack.redisUrl);
    const limiter = createRateLimiter({ redis, key: 'qwen-plus-latest', rps: 200, subscriber: false });
    try {
      for (let i = 0; i < 5; i++) await limiter.acquire();
      // Grants are counted per full second: wait for the current one to end.
      const body = await eventually('the grants to show', async () => {
        const b = await (await h.api('/v1/queues')).json();
        return b.limiter.recentRps >= 0.5 ? b : undefined;
      });
      expect(body.streams.REPORT).toMatchObject({
        stream: 'REPORT',
        exists: true,
        messages: stored,
        pending: stored - 1,
        inFlight: 1,
        redelivered: 0,
        dlq: 1,
        consumers: [{ name: 'report', pending: stored - 1, inFlight: 1 }],
      });
      expect(body.streams.LEARNING).toMatchObject({ exists: true, consumers: [] });
      expect(body.streams.LEARNING.messages).toBeGreaterThanOrEqual(1);
      expect(Object.keys(body.streams).sort()).toEqual(['INGEST', 'INSIGHT', 'LEARNING', 'REPORT', 'THEME', 'TRANSLATE']);
      expect(body.dlq.total).toBe(1);
      expect(body.limiter).toMatchObject({ key: 'qwen-plus-latest', limit: 200, pausedUntil: null, mode: 'redis' });
      expect(body.limiters.map((l: { key: string }) => l.key).sort()).toEqual(['qwen-plus-latest', 'qwen3-max']);

      await limiter.pause(60_000, 'test 429');
      const paused = (await (await h.api('/v1/queues')).json()).limiter.pausedUntil;
      expect(Date.parse(paused)).toBeGreaterThan(Date.now() + 30_000);
    } finally {
      held?.nak();
      await limiter.close();
      redis.disconnect();
    }
  });
});

describe('GET /openapi.json', () => {
  const C4 = [
    'post /v1/products/{asin}/reviews',
    'get /v1/products/{asin}',
    'get /v1/products/{asin}/reviews',
    'post /v1/products/{asin}/learn',
    'post /v1/products/{asin}/reports',
    'get /v1/reports/{id}',
    'get /v1/queues',
    'get /healthz',
    'get /readyz',
    'get /metrics',
  ];

  it('is an OpenAPI 3.1 document describing every C4 route, the auth and the error shape', async () => {
    const r = await h.api('/openapi.json', { auth: false });
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = await r.json();
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, o]) =>
      Object.keys(o).filter((m) => m !== 'parameters').map((m) => `${m} ${p}`),
    );
    for (const op of C4) expect(ops).toContain(op);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message', 'details']);
    expect(doc.components.schemas.ReviewInput.required).toEqual(['reviewId', 'rating', 'body']);
    // Every $ref points at a schema the document defines.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(Object.keys(doc.components.schemas)).toContain(name);
  });

  it('is valid OpenAPI (swagger-parser), and its error codes are exactly the gateway’s table', async () => {
    const doc = await (await h.api('/openapi.json', { auth: false })).json();
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(Object.keys(ERROR_CODES));
  });

  it('describes only routes the gateway serves', async () => {
    const doc = await (await h.api('/openapi.json', { auth: false })).json();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      const url = path.replace('{asin}', EMPTY).replace('{id}', reports.ready).replace('{uploadId}', '00000000-0000-4000-8000-000000000000');
      for (const method of Object.keys(ops).filter((m) => !['parameters', 'servers'].includes(m))) {
        // /metrics declares its own server: the metrics port.
        const r = path === '/metrics' ? await fetch(`${h.metricsBase}${url}`) : await h.api(url, { method: method.toUpperCase(), ...(['post', 'put'].includes(method) ? { json: {} } : {}) });
        const text = await r.text();
        expect({ op: `${method} ${path}`, unrouted: text.includes('no route for') }).toEqual({ op: `${method} ${path}`, unrouted: false });
      }
    }
  });
});
