/**
 * Outage or bad row: the classification of real errors from a real server
 * behind a proxy that refuses, resets or hangs (no mocked error objects).
 */
import { startFaultProxy, startTestStack, type FaultProxy, type TestStack } from '@voc/local-stack';
import { applyMigrations } from '@voc/db/migrate';
import { createDbClient, isDatabaseUnavailable, isUnstorableValue, pgErrorCode, type PrismaClient } from '../src';

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the query to fail');
}

describe('database error classification', () => {
  let stack: TestStack;
  let proxy: FaultProxy;
  let db: PrismaClient;

  beforeAll(async () => {
    stack = await startTestStack({ nats: false, redis: false });
    await applyMigrations(stack.databaseUrl);
    proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(stack.databaseUrl).port) });
    // Short deadlines so a hang ends within the test; connecting (scram) may be slow on a busy machine.
    db = createDbClient({ url: proxy.url(stack.databaseUrl), poolSize: 2, acquireTimeoutMs: 5000, queryTimeoutMs: 1000 });
    await db.product.create({ data: { asin: 'B000ERRORS' } });
  }, 60_000);
  afterEach(() => proxy.setMode('pass'));
  afterAll(async () => {
    await db?.$disconnect();
    await proxy?.stop();
    await stack?.stop();
  });

  const review = (reviewId: string, extra: object = {}) => ({
    asin: 'B000ERRORS',
    reviewId,
    rating: 4,
    body: 'fine',
    category: 'short' as const,
    bodyLength: 4,
    uploadId: 'u1',
    ...extra,
  });

  it('a value PostgreSQL cannot store is the row’s fault, not an outage', async () => {
    const nul = await failure(db.review.createMany({ data: [review('nul', { body: 'a\u0000b' })] }));
    expect(pgErrorCode(nul)).toBe('22021');
    expect(isUnstorableValue(nul)).toBe(true);
    expect(isDatabaseUnavailable(nul)).toBe(false);
    const big = await failure(db.review.createMany({ data: [review('big', { helpfulVotes: 3_000_000_000 })] }));
    expect(pgErrorCode(big)).toBe('22003');
    expect(isUnstorableValue(big)).toBe(true);
    const json = await failure(db.product.update({ where: { asin: 'B000ERRORS' }, data: { bulletPoints: ['x\u0000'] } }));
    expect(isUnstorableValue(json)).toBe(true);
    expect(isDatabaseUnavailable(json)).toBe(false);
  });

  it('a refused connection is an outage', async () => {
    await proxy.setMode('refuse');
    const err = await failure(db.product.findMany());
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isUnstorableValue(err)).toBe(false);
  });

  it('a connection reset in the middle of a statement is an outage', async () => {
    const running = db.$queryRaw`SELECT pg_sleep(0.5)`;
    setTimeout(() => void proxy.setMode('refuse'), 150);
    expect(isDatabaseUnavailable(await failure(running))).toBe(true);
  });

  it('a hung server ends in a timeout that is an outage, on an open connection and on a new one', async () => {
    await db.$queryRaw`SELECT 1`;
    await proxy.setMode('hang');
    const started = Date.now();
    const [a, b] = await Promise.all([failure(db.$queryRaw`SELECT 1`), failure(db.$queryRaw`SELECT 2`)]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(isDatabaseUnavailable(a)).toBe(true);
    expect(isDatabaseUnavailable(b)).toBe(true);
  }, 25_000);

  it('a statement cut off by statement_timeout is an outage (the server did not answer in time)', async () => {
    const err = await failure(db.$queryRaw`SELECT pg_sleep(3)`);
    expect(pgErrorCode(err)).toBe('57014');
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('the pool works again once the server is back', async () => {
    await proxy.setMode('refuse');
    await failure(db.product.findMany());
    await proxy.setMode('pass');
    expect(await db.product.count()).toBe(1);
  });
});
