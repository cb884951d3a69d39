import { request } from 'node:http';
import { makeReviews, messageCount, startHarness, type Harness } from './support';

jest.setTimeout(120_000);

const ASIN = 'B00MALFORM';
const LIMIT = 64 * 1024;
let h: Harness;

beforeAll(async () => {
  // Room for one body of the largest size at a time.
  h = await startHarness({ GATEWAY_BODY_LIMIT: String(LIMIT), GATEWAY_BODY_BUDGET: String(LIMIT) });
  await h.db.product.create({ data: { asin: ASIN } });
});
afterAll(async () => {
  await h?.stop();
});

const post = (body: NonNullable<RequestInit['body']>, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', headers, body });

/** An upload whose only review carries `raw` (JSON text) as its body. */
const withBody = (raw: string) => `{"reviews":[{"reviewId":"r1","rating":5,"body":${raw}}]}`;

describe('every malformed request gets a 4xx with a code from the table, and nothing is enqueued', () => {
  const cases: [string, () => Promise<Response>, number, string, RegExp?][] = [
    ['a broken percent-escape in the path', () => h.api('/v1/products/%E0%A4%A'), 400, 'invalid_path'],
    ['a broken escape in an upload path', () => h.api('/v1/products/%ZZ/reviews', { method: 'POST', json: { reviews: makeReviews(1) } }), 400, 'invalid_path'],
    ['a cursor past any id', () => h.api(`/v1/products/${ASIN}/reviews?cursor=${Buffer.from('r:99999999999999999999999').toString('base64url')}`), 400, 'invalid_cursor'],
    ['a cursor just past int4', () => h.api(`/v1/products/${ASIN}/reviews?cursor=${Buffer.from('r:2147483648').toString('base64url')}`), 400, 'invalid_cursor'],
    ['a limit with a sign', () => h.api(`/v1/products/${ASIN}/reviews?limit=-1`), 400, 'invalid_query'],
    ['invalid UTF-8', () => post(Buffer.concat([Buffer.from('{"reviews":[{"reviewId":"r1","rating":5,"body":"ok '), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]) as unknown as NonNullable<RequestInit['body']>), 400, 'invalid_encoding'],
    ['JSON nested 10,000 deep', () => post(`{"reviews":${'['.repeat(10_000)}${']'.repeat(10_000)}}`), 400, 'json_too_deep'],
    ['text/plain', () => post(JSON.stringify({ reviews: makeReviews(1) }), { 'Content-Type': 'text/plain' }), 415, 'unsupported_media_type'],
    ['JSON in Latin-1', () => post(JSON.stringify({ reviews: makeReviews(1) }), { 'Content-Type': 'application/json; charset=latin1' }), 415, 'unsupported_media_type'],
    ['a body over the limit (Content-Length)', () => post(withBody(JSON.stringify('x'.repeat(LIMIT)))), 413, 'payload_too_large', /split the reviews into at least 2 uploads/],
    ['NUL in a review body', () => post(withBody('"before\\u0000after"')), 400, 'invalid_reviews'],
    ['a lone surrogate in a title', () => post('{"reviews":[{"reviewId":"r1","rating":5,"body":"fine","title":"\\ud800 alone"}]}'), 400, 'invalid_reviews'],
    ['NUL in a bullet point', () => post(JSON.stringify({ product: { bulletPoints: ['a\u0000b'] }, reviews: makeReviews(1) })), 400, 'invalid_upload'],
    ['helpfulVotes beyond int4', () => post('{"reviews":[{"reviewId":"r1","rating":5,"body":"fine","helpfulVotes":2147483648}]}'), 400, 'invalid_reviews'],
    ['a JSON array', () => post('[1,2]'), 400, 'invalid_upload'],
    ['a bare number', () => post('42'), 400, 'invalid_json'],
    ['an upload id that is not a UUID', () => h.api('/v1/uploads/not-a-uuid'), 400, 'invalid_upload_id'],
  ];

  // Objects, not rows: a row shorter than the callback's parameters would make jest pass `done`.
  it.each(cases.map(([name, send, status, code, message]) => ({ name, send, status, code, message })))('$name → $status $code', async ({ send, status, code, message }) => {
    const before = await messageCount(h.jsm, 'INGEST');
    const r = await send();
    expect(r.status).toBe(status);
    const { error } = (await r.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe(code);
    if (message) expect(error.message).toMatch(message);
    expect(await messageCount(h.jsm, 'INGEST')).toBe(before);
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const before = await messageCount(h.jsm, 'INGEST');
    const chunks = (async function* () {
      yield new TextEncoder().encode('{"reviews":[');
      for (let i = 0; i < 20; i++) yield new TextEncoder().encode(`${JSON.stringify({ reviewId: `c${i}`, rating: 5, body: 'y'.repeat(8000) })},`);
      yield new TextEncoder().encode('{}]}');
    })();
    const r = await h.api(`/v1/products/${ASIN}/reviews`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: ReadableStream.from(chunks) as unknown as NonNullable<RequestInit['body']>,
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(413);
    expect((await r.json()).error.code).toBe('payload_too_large');
    expect(await messageCount(h.jsm, 'INGEST')).toBe(before);
  });

  it('answers 503 server_busy with Retry-After while the body budget is held, and reads bodies again once it is free', async () => {
    // A client that announces a large body and sends it slowly holds its reservation.
    const port = Number(new URL(h.base).port);
    const slow = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/v1/products/${ASIN}/reviews`,
      headers: { Authorization: 'Bearer test-key-0123456789abcdef', 'Content-Type': 'application/json', 'Content-Length': String(LIMIT - 10) },
    });
    slow.on('error', () => undefined);
    try {
      slow.write('{"reviews":[');
      await new Promise((r) => setTimeout(r, 300));
      const busy = await post(JSON.stringify({ reviews: makeReviews(1, 'busy') }));
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect((await busy.json()).error.code).toBe('server_busy');
      expect(await h.metrics()).toMatch(/gateway_bodies_refused_total\{reason="busy"[^}]*\} 1/);
    } finally {
      slow.destroy();
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await post(JSON.stringify({ reviews: makeReviews(1, 'after') }))).status).toBe(202);
    expect(await h.metrics()).toMatch(/gateway_body_bytes_in_flight\{[^}]*\} 0/);
  });
});
