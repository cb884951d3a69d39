import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleIngest, pipelineSettingsFromEnv } from '@voc/pipeline';
import { isPrivateAddress, parseWebhookUrl } from '../src/webhooks/webhook-url';
import { API_KEY, OTHER_KEY, eventually, makeReviews, startHarness, streamMessages, type Harness } from './support';

jest.setTimeout(120_000);

const ASIN = 'B00STATUS1';
let h: Harness;
let receiver: Server;
let hookUrl: string;
const received: { headers: IncomingHttpHeaders; body: string; answered: number }[] = [];
const answers = [500, 200];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const answered = answers[Math.min(received.length, answers.length - 1)]!;
      received.push({ headers: req.headers, body, answered });
      res.statusCode = answered;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/voc`;
  h = await startHarness({ GATEWAY_INGEST_PART_REVIEWS: '5', GATEWAY_WEBHOOK_ALLOW_PRIVATE: 'true', GATEWAY_WEBHOOK_POLL_MS: '200' });
});
afterAll(async () => {
  await h?.stop();
  receiver?.close();
});

/** What ingest-svc does with the INGEST messages, run here on the stored ones. */
async function ingestAll(): Promise<void> {
  const deps = { db: h.db, js: h.nc.jetstream(), log: h.gateway.deps.log, settings: pipelineSettingsFromEnv({}) };
  for (const m of await streamMessages(h.jsm, 'INGEST')) await handleIngest(deps, m.job);
}

describe('GET /v1/uploads/:uploadId and the completion webhook', () => {
  it('sets, shows and checks the key’s webhook', async () => {
    expect((await h.api('/v1/keys/me/webhook', { method: 'PUT', json: { url: 'ftp://example.com/x' } })).status).toBe(400);
    const set = await h.api('/v1/keys/me/webhook', { method: 'PUT', json: { url: hookUrl } });
    expect(set.status).toBe(200);
    expect((await set.json()).url).toBe(hookUrl);
    expect((await (await h.api('/v1/keys/me')).json()).webhook).toMatchObject({ url: hookUrl });
    expect((await h.api('/v1/keys/me/webhook', { method: 'DELETE', key: OTHER_KEY })).status).toBe(404);
  });

  it('follows one upload from accepted to stored to complete, then posts it, signed, retrying a failed delivery', async () => {
    const up = await h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', json: { reviews: makeReviews(12, 'st') } });
    expect(up.status).toBe(202);
    const { uploadId } = await up.json();
    const accepted = await (await h.api(`/v1/uploads/${uploadId}`)).json();
    expect(accepted).toMatchObject({ uploadId, asin: ASIN, reviews: 12, parts: { total: 3, duplicate: 0, stored: 0 }, stored: 0, complete: false, webhook: { state: 'pending' } });
    // Another key does not see it.
    expect((await h.api(`/v1/uploads/${uploadId}`, { key: OTHER_KEY })).status).toBe(404);
    expect((await h.api('/v1/uploads/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    await ingestAll();
    // Whether or not the gateway's batched upload record is written yet, the counts are ingest's.
    const stored = await (await h.api(`/v1/uploads/${uploadId}`)).json();
    expect(stored).toMatchObject({ parts: { total: 3, stored: 3 }, stored: 12, duplicates: 0, rejected: 0, complete: false });
    expect(stored.stages.translate).toEqual({ queued: 12 });
    expect(received).toHaveLength(0);

    // Every review through every stage (one failed translation counts as through).
    await h.db.review.updateMany({ where: { uploadId }, data: { translateStatus: 'done', insightStatus: 'done', themeStatus: 'done' } });
    await h.db.review.updateMany({ where: { uploadId, reviewId: 'st0' }, data: { translateStatus: 'failed' } });
    await eventually('the first delivery', async () => (received.length >= 1 ? true : undefined));
    await eventually('the retried delivery', async () => (received.length >= 2 ? true : undefined), 60_000);
    const done = await (await h.api(`/v1/uploads/${uploadId}`)).json();
    expect(done).toMatchObject({ complete: true, webhook: { state: 'delivered', attempts: 2, lastError: null } });

    const d = received[1]!;
    expect(d.headers['x-voc-event']).toBe('upload.completed');
    const ts = String(d.headers['x-voc-timestamp']);
    const secretHash = createHash('sha256').update(API_KEY).digest('hex');
    expect(d.headers['x-voc-signature']).toBe(`sha256=${createHmac('sha256', secretHash).update(`${ts}.${d.body}`).digest('hex')}`);
    const event = JSON.parse(d.body);
    expect(event).toMatchObject({ event: 'upload.completed', upload: { uploadId, stored: 12, complete: true } });
    expect(event.upload.stages.translate).toEqual({ done: 11, failed: 1 });
    expect(received[0]!.answered).toBe(500);
    expect(await h.metrics()).toMatch(/gateway_webhook_deliveries_total\{key="key-[0-9a-f]{8}",result="failed_attempt"[^}]*\} 1/);
  });

  it('marks a re-sent identical upload’s parts as duplicates: nothing of it to store', async () => {
    const body = { reviews: makeReviews(3, 'dup') };
    expect((await h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', json: body })).status).toBe(202);
    const again = await (await h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', json: body })).json();
    const status = await (await h.api(`/v1/uploads/${again.uploadId}`)).json();
    expect(status).toMatchObject({ parts: { total: 1, duplicate: 1, stored: 0 }, stored: 0, complete: true });
  });
});

describe('webhook URLs', () => {
  it('refuses loopback, private and credentialed URLs unless private ones are allowed', () => {
    for (const url of ['http://127.0.0.1/x', 'http://localhost:8080/', 'http://10.1.2.3/', 'http://[::1]/', 'http://169.254.169.254/latest']) {
      expect(() => parseWebhookUrl(url, false)).toThrow(/private/);
      expect(parseWebhookUrl(url, true)).toMatch(/^http:/);
    }
    expect(() => parseWebhookUrl('https://user:pw@example.com/', true)).toThrow(/credentials/);
    expect(parseWebhookUrl('https://hooks.example.com/voc', false)).toBe('https://hooks.example.com/voc');
    expect(isPrivateAddress('192.168.1.1')).toBe(true);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
  });
});
