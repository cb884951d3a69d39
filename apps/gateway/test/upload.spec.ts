import { API_KEY, OTHER_KEY, makeReviews, messageCount, startHarness, streamMessages, type ApiResponse, type Harness } from './support';

jest.setTimeout(120_000);

const ASIN = 'B00UPLOAD1';
const PART_REVIEWS = 5;
const PART_BYTES = 4096;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    GATEWAY_INGEST_PART_REVIEWS: String(PART_REVIEWS),
    GATEWAY_INGEST_PART_BYTES: String(PART_BYTES),
    GATEWAY_BODY_LIMIT: '64kb',
  });
});
afterAll(async () => {
  await h?.stop();
});

const upload = (asin: string, body: unknown) => h.api(`/v1/products/${asin}/reviews`, { method: 'POST', json: body });

describe('auth', () => {
  it('refuses a missing or wrong key with a JSON 401 and accepts every configured key', async () => {
    for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: API_KEY }] as Record<string, string>[]) {
      const r = await h.api('/v1/queues', { auth: false, headers });
      expect(r.status).toBe(401);
      expect((await r.json()).error).toMatchObject({ code: 'unauthorized', details: [] });
    }
    expect((await h.api('/v1/queues', { auth: false, headers: { Authorization: `Bearer ${OTHER_KEY}` } })).status).toBe(200);
  });

  it('leaves health and the API description open, and serves metrics on their own port only', async () => {
    expect((await h.api(`/healthz`, { auth: false })).status).toBe(200);
    const ready = await h.api(`/readyz`, { auth: false });
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.map((c: { name: string }) => c.name).sort()).toEqual(['nats', 'postgres', 'redis']);
    const uploads = await h.api(`/readyz/uploads`, { auth: false });
    expect(uploads.status).toBe(200);
    expect(await uploads.json()).toEqual({ ready: true, checks: [{ name: 'jetstream', ok: true }] });
    const metrics = await fetch(`${h.metricsBase}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('gateway_http_requests_total');
    expect(h.metricsBase).not.toBe(h.base);
    // Not on the API port, not even with a key.
    expect((await h.api('/metrics')).status).toBe(404);
    expect((await h.api('/openapi.json', { auth: false })).status).toBe(200);
    expect((await h.api(`/docs`, { auth: false })).status).toBe(200);
  });

  it('answers unknown routes with the JSON error shape, and sets the hardening headers', async () => {
    const r = await h.api('/v1/nothing-here', { headers: { 'X-Request-Id': 'trace-42' } });
    expect(r.status).toBe(404);
    expect((await r.json()).error.code).toBe('not_found');
    expect(r.headers.get('x-powered-by')).toBeNull();
    expect(r.headers.get('x-request-id')).toBe('trace-42');
    expect((await h.api('/v1/queues')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('POST /v1/products/:asin/reviews', () => {
  it('enqueues a valid upload as one INGEST message holding exactly its reviews', async () => {
    const before = await messageCount(h.jsm, 'INGEST');
    const reviews = makeReviews(3, 'happy');
    const body = {
      product: { title: 'Tablet', bulletPoints: ['Long battery'] },
      reviews: [...reviews.slice(0, 2), { ...reviews[2], title: '  Great  ', author: null, date: '2024-05-01', helpfulVotes: 2, verified: true }],
    };
    const r = await upload(ASIN, body);
    expect(r.status).toBe(202);
    const res = await r.json();
    expect(res).toEqual({ uploadId: expect.stringMatching(/^[0-9a-f-]{36}$/), accepted: 3, parts: 1, duplicateParts: 0 });
    expect(r.headers.get('location')).toBe(`/v1/uploads/${res.uploadId}`);
    expect(await messageCount(h.jsm, 'INGEST')).toBe(before + 1);
    const [last] = (await streamMessages(h.jsm, 'INGEST')).slice(-1);
    expect(last!.msgId).toMatch(new RegExp(`^ingest:${ASIN}:`));
    expect(last!.job).toEqual({
      uploadId: res.uploadId,
      asin: ASIN,
      product: { title: 'Tablet', bulletPoints: ['Long battery'] },
      reviews: [...reviews.slice(0, 2), { ...reviews[2], title: 'Great', date: '2024-05-01', helpfulVotes: 2, verified: true }],
      part: 1,
      parts: 1,
    });
  });

  it('splits an upload over the review-count limit into numbered parts of one upload', async () => {
    const before = await messageCount(h.jsm, 'INGEST');
    const reviews = makeReviews(12, 'count');
    const r = await upload(ASIN, { reviews });
    expect(r.status).toBe(202);
    const res = await r.json();
    expect(res).toMatchObject({ accepted: 12, parts: 3, duplicateParts: 0 });
    const msgs = (await streamMessages(h.jsm, 'INGEST')).slice(before);
    expect(msgs).toHaveLength(3);
    const jobs = msgs.map((m) => m.job).sort((a, b) => a.part! - b.part!);
    expect(jobs.map((j) => [j.part, j.parts, j.uploadId, j.reviews.length])).toEqual([
      [1, 3, res.uploadId, 5],
      [2, 3, res.uploadId, 5],
      [3, 3, res.uploadId, 2],
    ]);
    expect(jobs.flatMap((j) => j.reviews)).toEqual(reviews);
  });

  it('splits by bytes so that no message exceeds the part size', async () => {
    const before = await messageCount(h.jsm, 'INGEST');
    const reviews = makeReviews(4, 'bytes', (i) => `${i} ${'long text '.repeat(150)}`.trim());
    const r = await upload(ASIN, { reviews });
    expect(r.status).toBe(202);
    const res = await r.json();
    const msgs = (await streamMessages(h.jsm, 'INGEST')).slice(before);
    expect(res.parts).toBe(msgs.length);
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) expect(m.bytes).toBeLessThanOrEqual(PART_BYTES);
    expect(msgs.map((m) => m.job).sort((a, b) => a.part! - b.part!).flatMap((j) => j.reviews)).toEqual(reviews);
  });

  it('stores a re-sent identical upload once (JetStream drops the duplicate) but publishes a changed one', async () => {
    const body = { product: { title: 'Same' }, reviews: makeReviews(7, 'again') };
    const first = await upload(ASIN, body);
    expect(first.status).toBe(202);
    const count = await messageCount(h.jsm, 'INGEST');
    const again = await upload(ASIN, body);
    expect(again.status).toBe(202);
    const res = await again.json();
    expect(res).toMatchObject({ accepted: 7, parts: 2, duplicateParts: 2 });
    expect(await messageCount(h.jsm, 'INGEST')).toBe(count);
    // Only the part whose content changed is new.
    const edited = { ...body, reviews: body.reviews.map((r, i) => (i === 6 ? { ...r, rating: 1 } : r)) };
    expect(await (await upload(ASIN, edited)).json()).toMatchObject({ parts: 2, duplicateParts: 1 });
    expect(await messageCount(h.jsm, 'INGEST')).toBe(count + 1);
  });

  describe('bad input is refused and nothing is enqueued', () => {
    const cases: { name: string; send: () => Promise<ApiResponse>; status: number; code: string; check?: (error: { details: { index?: number; field?: string }[] }) => void }[] = [
      {
        name: 'invalid reviews (each bad index and field listed)',
        send: () =>
          upload(ASIN, {
            reviews: [
              { reviewId: 'ok1', rating: 5, body: 'fine' },
              { reviewId: 'bad1', rating: 9, body: 'x' },
              { reviewId: 'bad2', rating: 3, body: '' },
              { reviewId: 'ok1', rating: 2, body: 'dup' },
            ],
          }),
        status: 400,
        code: 'invalid_reviews',
        check: (e) => expect(e.details.map((d) => `${d.index}:${d.field}`).sort()).toEqual(['1:rating', '2:body', '3:reviewId']),
      },
      { name: 'no reviews', send: () => upload(ASIN, { reviews: [] }), status: 400, code: 'invalid_upload' },
      {
        name: 'invalid JSON',
        send: () => h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"reviews": [' }),
        status: 400,
        code: 'invalid_json',
      },
      {
        name: 'a JSON scalar',
        send: () => h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '"text"' }),
        status: 400,
        code: 'invalid_json',
      },
      {
        name: 'wrong content type',
        send: () =>
          h.api(`/v1/products/${ASIN}/reviews`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain' },
            body: JSON.stringify({ reviews: makeReviews(1) }),
          }),
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'a body over GATEWAY_BODY_LIMIT',
        send: () => upload(ASIN, { reviews: makeReviews(40, 'big', () => 'y'.repeat(2000)) }),
        status: 413,
        code: 'payload_too_large',
      },
      { name: 'a bad ASIN', send: () => upload('b00lower01', { reviews: makeReviews(1) }), status: 400, code: 'invalid_asin' },
    ];

    it.each(cases)('$name → $status', async ({ send, status, code, check }) => {
      const before = await messageCount(h.jsm, 'INGEST');
      const r = await send();
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const { error } = await r.json();
      expect(error.code).toBe(code);
      expect(typeof error.message).toBe('string');
      check?.(error);
      expect(await messageCount(h.jsm, 'INGEST')).toBe(before);
    });
  });
});

describe('observability', () => {
  it('counts requests by route template and status, and uploads by outcome', async () => {
    await h.api(`/v1/products/${ASIN}/learn`, { method: 'POST' }); // 404: an error path keeps its template too
    const text = await (await fetch(`${h.metricsBase}/metrics`)).text();
    expect(text).toMatch(/gateway_http_requests_total\{method="POST",route="\/v1\/products\/:asin\/reviews",status="202"[^}]*\} [1-9]/);
    expect(text).toMatch(/gateway_http_requests_total\{method="POST",route="\/v1\/products\/:asin\/reviews",status="400"[^}]*\} [1-9]/);
    // Refused before routing (content type, JSON, size): no template, one series.
    expect(text).toMatch(/gateway_http_requests_total\{method="POST",route="unmatched",status="415"[^}]*\} 1/);
    expect(text).toMatch(/gateway_http_requests_total\{method="POST",route="\/v1\/products\/:asin\/learn",status="404"[^}]*\} 1/);
    expect(text).toMatch(/gateway_ingest_parts_total\{result="duplicate"[^}]*\} [1-9]/);
    expect(text).not.toContain(`route="/v1/products/${ASIN}`);
  });
});
