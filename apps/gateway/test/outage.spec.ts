import path from 'node:path';
import { ensureBinaries, freePort, startNats, type RunningServer } from '@voc/local-stack';
import { eventually, makeReviews, messageCount, startHarness, type Harness } from './support';

jest.setTimeout(180_000);

const ASIN = 'B00OUTAGE1';
let h: Harness;
let restarted: RunningServer | undefined;

beforeAll(async () => {
  h = await startHarness({ GATEWAY_PUBLISH_TIMEOUT_MS: '1500', GATEWAY_RETRY_AFTER_S: '7' });
});
afterAll(async () => {
  await h?.stop();
  await restarted?.stop();
});

const upload = (reviews: unknown[]) => h.api(`/v1/products/${ASIN}/reviews`, { method: 'POST', json: { reviews } });
const server = (url: string) => h.stack.servers.find((s) => s.url === url)!;

describe('when a dependency is down', () => {
  it('answers 503 with Retry-After while NATS is down, and 202 again once it is back', async () => {
    expect((await upload(makeReviews(2, 'before'))).status).toBe(202);
    const natsPort = server(h.stack.natsUrl).port;
    await server(h.stack.natsUrl).stop();
    // Once the gateway has seen the disconnect it refuses at once, without publishing anything.
    await eventually('the gateway to notice', async () => (h.gateway.deps.nats.connected ? undefined : true));

    const r = await upload(makeReviews(2, 'during'));
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('7');
    expect((await r.json()).error.code).toBe('queue_unavailable');
    const queues = await h.api('/v1/queues');
    expect(queues.status).toBe(503);
    expect(queues.headers.get('retry-after')).toBe('7');
    expect((await h.api(`/readyz`, { auth: false })).status).toBe(503);
    // Bad input is still the client's mistake, outage or not.
    expect((await upload([{ reviewId: 'x', rating: 0, body: 'b' }])).status).toBe(400);

    // Same port, same store: the gateway's connection finds it again by itself.
    restarted = await startNats(ensureBinaries(), {
      port: natsPort,
      httpPort: await freePort(),
      dataDir: path.join(h.stack.dataDir, 'nats'),
    });
    await eventually('uploads to be accepted again', async () => ((await upload(makeReviews(2, 'after'))).status === 202 ? true : undefined));
    // The upload before and the one after are stored (repeats of "after" were duplicates); the refused one is not.
    expect(await messageCount(h.jsm, 'INGEST')).toBe(2);
    expect((await h.api(`/readyz`, { auth: false })).status).toBe(200);
  });

  it('answers 503 database_unavailable while PostgreSQL is down', async () => {
    await server(h.stack.databaseUrl).stop();
    const r = await h.api(`/v1/products/${ASIN}`);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('7');
    expect((await r.json()).error.code).toBe('database_unavailable');
  });
});
