/**
 * report-svc as a real process (and through it @voc/worker's start-up and
 * shutdown): readiness, a report built from PostgreSQL, SIGTERM, bad config.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { connect } from 'nats';
import { createDbClient, type PrismaClient } from '@voc/db';
import { applyMigrations } from '@voc/db/migrate';
import { freePort, startApp, startTestStack, waitReady, type RunningApp, type TestStack } from '@voc/local-stack';
import { ensureStreams, publish } from '@voc/messaging';

const ROOT = path.resolve(__dirname, '../../..');

describe('report-svc', () => {
  let stack: TestStack;
  let db: PrismaClient;
  let app: RunningApp;

  beforeAll(async () => {
    stack = await startTestStack();
    await applyMigrations(stack.databaseUrl);
    db = createDbClient({ url: stack.databaseUrl, poolSize: 2 });
    const port = await freePort();
    app = startApp(
      ROOT,
      'report-svc',
      { NATS_URL: stack.natsUrl, REDIS_URL: stack.redisUrl, DATABASE_URL: stack.databaseUrl, HEALTH_PORT: String(port), LOG_LEVEL: 'warn' },
      path.join(stack.dataDir, 'report-svc.log'),
      { port },
    );
    await waitReady(app, 60_000);
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await db?.$disconnect();
    await stack?.stop();
  });

  it('answers /readyz and /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${app.port}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
    expect(metrics).toContain('service="report-svc"');
  });

  it('builds a report published on REPORT from the database alone', async () => {
    await db.product.create({ data: { asin: 'B00REPORT1', title: 'A product' } });
    await db.review.createMany({
      data: [5, 5, 4, 1].map((rating, i) => ({
        asin: 'B00REPORT1', reviewId: `r${i}`, rating, body: 'text', category: 'short' as const, bodyLength: 4, uploadId: 'u', translateStatus: 'done' as const,
      })),
    });
    const report = await db.report.create({ data: { asin: 'B00REPORT1' } });
    const nc = await connect({ servers: stack.natsUrl });
    await ensureStreams(await nc.jetstreamManager());
    await publish(nc.jetstream(), 'REPORT', { reportId: report.id, asin: 'B00REPORT1' });
    await nc.close();
    let row = await db.report.findUniqueOrThrow({ where: { id: report.id } });
    for (let i = 0; i < 100 && row.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      row = await db.report.findUniqueOrThrow({ where: { id: report.id } });
    }
    expect(row.status).toBe('ready');
    const content = row.content as { reviews: { total: number; byRating: Record<string, number> }; coverage: { translationRatio: number } };
    expect(content.reviews.total).toBe(4);
    expect(content.reviews.byRating).toEqual({ '1': 1, '2': 0, '3': 0, '4': 1, '5': 2 });
    expect(content.coverage.translationRatio).toBe(1);
  });

  it('stops cleanly on SIGTERM', async () => {
    await app.stop();
    expect(await app.exited).toBe(0);
  });

  it('refuses to start with a bad environment, naming the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'apps/report-svc/src/main.ts')], {
      env: { ...process.env, CONCURRENCY: 'lots', DATABASE_URL: 'mysql://nope', HEALTH_PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('CONCURRENCY');
    expect(r.stderr).toContain('DATABASE_URL');
  });
});
