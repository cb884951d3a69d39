import { createDbClient, type PrismaClient } from '@voc/db';
import { applyMigrations } from '@voc/db/migrate';
import type { LlmUsage } from '@voc/llm';
import { startTestStack, type TestStack } from '@voc/local-stack';
import pino from 'pino';
import { UsageRecorder } from '../src/usage';

const usage = (over: Partial<LlmUsage> = {}): LlmUsage => ({
  service: 'insight-svc',
  model: 'qwen-plus-latest',
  asin: 'B00RECORD1',
  kind: 'insight',
  promptTokens: 500,
  completionTokens: 120,
  cachedTokens: 260,
  maxTokens: 768,
  cost: 0.0005,
  ok: true,
  ...over,
});

describe('UsageRecorder: llm_usage per service, model, stage, product and day', () => {
  let stack: TestStack;
  let db: PrismaClient;
  beforeAll(async () => {
    stack = await startTestStack({ nats: false, redis: false });
    await applyMigrations(stack.databaseUrl);
    db = createDbClient({ url: stack.databaseUrl, poolSize: 2 });
  }, 120_000);
  afterAll(async () => {
    await db?.$disconnect();
    await stack?.stop();
  });

  it('books each stage apart (learning by insight-svc too), adds up across flushes, and writes the rest on stop', async () => {
    const rec = new UsageRecorder(db, pino({ level: 'silent' }), 60_000);
    rec.start();
    rec.record(usage());
    rec.record(usage({ ok: false }));
    rec.record(usage({ kind: 'learning', maxTokens: 1536, asin: 'B00RECORD1' }));
    await rec.flush();
    rec.record(usage());
    // Not flushed by the timer (60 s): stop() must write it.
    await rec.stop();

    const rows = await db.llmUsage.findMany({ where: { asin: 'B00RECORD1' }, orderBy: { stage: 'asc' } });
    expect(rows.map((r) => [r.service, r.stage, r.calls, r.failures])).toEqual([
      ['insight-svc', 'insight', 3, 1],
      ['insight-svc', 'learning', 1, 0],
    ]);
    expect(rows[0]).toMatchObject({ promptTokens: 1500, completionTokens: 360, cachedTokens: 780, limitTokens: 3 * (500 + 768) });
    expect(rows[0]!.cost).toBeCloseTo(0.0015, 9);
    expect(rows[1]).toMatchObject({ limitTokens: 500 + 1536 });
  });
});
