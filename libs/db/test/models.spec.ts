import { startTestStack, type TestStack } from '@voc/local-stack';
import {
  createDbClient,
  FiveW,
  LearningJobStatus,
  LearningReason,
  LearningState,
  Prisma,
  ReportStatus,
  ReviewCategory,
  Sentiment,
  StageStatus,
  UploadStatus,
  type PrismaClient,
  type Review,
} from '../src';
import { applyMigrations } from '@voc/db/migrate';
import { withPg } from './support';

jest.setTimeout(120_000);

const ASIN = 'B0TESTASIN';

function review(reviewId: string, body: string, uploadId = 'upload-1') {
  return {
    asin: ASIN,
    reviewId,
    rating: 5,
    title: `title ${reviewId}`,
    body,
    author: 'someone',
    reviewDate: '2024-02-29',
    helpfulVotes: 3,
    verified: true,
    category: ReviewCategory.short,
    bodyLength: [...body].length,
    uploadId,
  } satisfies Prisma.ReviewCreateManyInput;
}

describe('the schema on a migrated database', () => {
  let stack: TestStack;
  let db: PrismaClient;
  let reviews: Review[];
  let dimensionIds: number[];
  let labelIds: number[];

  beforeAll(async () => {
    stack = await startTestStack({ postgres: true });
    await applyMigrations(stack.databaseUrl);
    db = createDbClient({ url: stack.databaseUrl, poolSize: 4, applicationName: 'db-models-spec' });
  });
  afterAll(async () => {
    await db?.$disconnect();
    await stack?.stop();
  });

  it('stores a product with its bullet points and learning defaults', async () => {
    await db.product.create({
      data: { asin: ASIN, title: 'Kettle', bulletPoints: ['1.7 L', 'boils in 3 min'] },
    });
    const p = await db.product.findUniqueOrThrow({ where: { asin: ASIN } });
    expect(p).toMatchObject({
      marketplace: 'US',
      bulletPoints: ['1.7 L', 'boils in 3 min'],
      bulletPointsZh: null,
      bulletsTranslateStatus: StageStatus.pending,
      learningState: LearningState.pending,
      learningVersion: 0,
      learnedReviewCount: 0,
      reviewCount: 0,
    });
    const translated = await db.product.update({
      where: { asin: ASIN },
      data: { bulletPointsZh: ['1.7 升', '3 分钟烧开'], bulletsTranslateStatus: StageStatus.done },
    });
    expect(translated.bulletPointsZh).toEqual(['1.7 升', '3 分钟烧开']);
    expect(translated.updatedAt.getTime()).toBeGreaterThanOrEqual(p.updatedAt.getTime());
  });

  it('keeps one review per (asin, reviewId) however often it is re-sent', async () => {
    const batch = [review('R1', 'Great 👍 kettle'), review('R2', 'Loud'), review('R3', 'Leaks after a week')];
    const first = await db.review.createMany({ data: batch, skipDuplicates: true });
    const again = await db.review.createMany({
      data: [...batch, review('R4', 'Fine', 'upload-2')],
      skipDuplicates: true,
    });
    expect(first.count).toBe(3);
    expect(again.count).toBe(1);

    reviews = await db.review.findMany({ where: { asin: ASIN }, orderBy: { id: 'asc' } });
    expect(reviews.map((r) => r.reviewId)).toEqual(['R1', 'R2', 'R3', 'R4']);
    expect(reviews[0]).toMatchObject({
      reviewDate: '2024-02-29',
      bodyLength: 14,
      category: ReviewCategory.short,
      translateStatus: StageStatus.pending,
      insightStatus: StageStatus.pending,
      themeStatus: StageStatus.pending,
      translateAttempts: 0,
      translateQueuedAt: null,
    });

    // A plain insert of the same key is refused with Prisma's unique-violation code.
    const dup = await db.review.create({ data: review('R1', 'again') }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((dup as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');
  });

  it('tracks a stage: queued, then done with its translation, and answers the sweeper and status queries', async () => {
    const [r1, r2] = reviews;
    const longAgo = new Date(Date.now() - 60 * 60_000);
    await db.review.updateMany({
      where: { id: { in: [r1!.id, r2!.id] } },
      data: { translateStatus: StageStatus.queued, translateQueuedAt: longAgo, translateAttempts: { increment: 1 } },
    });
    await db.review.update({
      where: { id: r1!.id },
      data: { translateStatus: StageStatus.done, translateDoneAt: new Date(), titleZh: '好水壶', bodyZh: '很棒的水壶 👍' },
    });

    const stale = await db.review.findMany({
      where: { translateStatus: StageStatus.queued, translateQueuedAt: { lt: new Date(Date.now() - 10 * 60_000) } },
      select: { id: true },
    });
    expect(stale).toEqual([{ id: r2!.id }]);

    const counts = await db.review.groupBy({ by: ['translateStatus'], where: { asin: ASIN }, _count: { _all: true } });
    const byStatus = Object.fromEntries(counts.map((c) => [c.translateStatus, c._count._all]));
    expect(byStatus).toEqual({ [StageStatus.done]: 1, [StageStatus.queued]: 1, [StageStatus.pending]: 2 });
    expect(await db.review.findUniqueOrThrow({ where: { asin_reviewId: { asin: ASIN, reviewId: 'R1' } } })).toMatchObject({
      bodyZh: '很棒的水壶 👍',
      translateAttempts: 1,
    });
  });

  it('stores learned dimensions and 5W labels, one per name', async () => {
    await db.dimension.createMany({
      data: [
        { asin: ASIN, name: '噪音', description: '烧水时的声音', learningVersion: 1 },
        { asin: ASIN, name: '密封', description: '是否漏水', learningVersion: 1 },
      ],
    });
    await db.label.createMany({
      data: [
        { asin: ASIN, category: FiveW.who, name: '上班族', description: '早上赶时间', learningVersion: 1 },
        { asin: ASIN, category: FiveW.where, name: '办公室', description: '工位上用', learningVersion: 1 },
        // Same name in another 5W family is another label.
        { asin: ASIN, category: FiveW.what, name: '办公室', description: '办公用品', learningVersion: 1 },
      ],
    });
    // Relearning upserts by name: the row keeps its id, takes the new version.
    const relearned = await db.dimension.upsert({
      where: { asin_name: { asin: ASIN, name: '噪音' } },
      create: { asin: ASIN, name: '噪音', description: 'x', learningVersion: 2 },
      update: { description: '烧水和开盖时的声音', learningVersion: 2 },
    });
    const dims = await db.dimension.findMany({ where: { asin: ASIN }, orderBy: { id: 'asc' } });
    expect(dims.map((d) => [d.name, d.learningVersion])).toEqual([
      ['噪音', 2],
      ['密封', 1],
    ]);
    expect(relearned.id).toBe(dims[0]!.id);
    await expect(
      db.label.create({ data: { asin: ASIN, category: FiveW.who, name: '上班族', description: 'dup', learningVersion: 1 } }),
    ).rejects.toMatchObject({ code: 'P2002' });
    dimensionIds = dims.map((d) => d.id);
    labelIds = (await db.label.findMany({ where: { asin: ASIN }, orderBy: { id: 'asc' } })).map((l) => l.id);
  });

  it('never duplicates insights of a redelivered job (createMany skipDuplicates)', async () => {
    const r1 = reviews[0]!;
    const insights = [
      { sentiment: Sentiment.positive, quote: 'Great', analysis: '整体满意', dimensionId: dimensionIds[0]! },
      { sentiment: Sentiment.mixed, quote: 'kettle', analysis: '一般', dimensionId: dimensionIds[1]! },
    ].map((i, position) => ({ ...i, reviewPk: r1.id, asin: ASIN, position, learningVersion: 2 }));

    const first = await db.insight.createMany({ data: insights, skipDuplicates: true });
    const redelivered = await db.insight.createMany({ data: insights, skipDuplicates: true });

    expect([first.count, redelivered.count]).toEqual([2, 0]);
    const stored = await db.insight.findMany({
      where: { reviewPk: r1.id },
      orderBy: { position: 'asc' },
      include: { dimension: true },
    });
    expect(stored.map((i) => [i.position, i.sentiment, i.dimension.name])).toEqual([
      [0, Sentiment.positive, '噪音'],
      [1, Sentiment.mixed, '密封'],
    ]);
  });

  it('never duplicates themes of a redelivered job (createMany skipDuplicates)', async () => {
    const [r1, r2] = reviews;
    const themes = [
      { reviewPk: r1!.id, category: FiveW.who, labelId: labelIds[0]!, quote: 'before work' },
      { reviewPk: r1!.id, category: FiveW.where, labelId: labelIds[1]!, quote: 'at my desk' },
      { reviewPk: r2!.id, category: FiveW.who, labelId: labelIds[0]!, quote: 'mornings' },
    ].map((t) => ({ ...t, asin: ASIN, learningVersion: 2 }));

    await db.theme.createMany({ data: themes, skipDuplicates: true });
    const again = await db.theme.createMany({ data: themes, skipDuplicates: true });

    expect(again.count).toBe(0);
    const perLabel = await db.theme.groupBy({ by: ['labelId'], where: { asin: ASIN }, _count: { _all: true } });
    expect(Object.fromEntries(perLabel.map((g) => [g.labelId, g._count._all]))).toEqual({
      [labelIds[0]!]: 2,
      [labelIds[1]!]: 1,
    });
    const withEvidence = await db.review.findUniqueOrThrow({
      where: { id: r1!.id },
      include: { themes: { include: { label: true }, orderBy: { category: 'asc' } }, insights: true },
    });
    expect(withEvidence.themes.map((t) => [t.category, t.label.name, t.quote])).toEqual([
      [FiveW.who, '上班族', 'before work'],
      [FiveW.where, '办公室', 'at my desk'],
    ]);
    expect(withEvidence.insights).toHaveLength(2);
  });

  it('records an upload once: processing it again finds it processed', async () => {
    const upload = { id: 'upload-1', asin: ASIN, received: 3 };
    await db.upload.create({ data: upload });
    await db.upload.update({
      where: { id: upload.id },
      data: { inserted: 3, duplicates: 0, status: UploadStatus.processed, processedAt: new Date() },
    });
    await expect(db.upload.create({ data: upload })).rejects.toMatchObject({ code: 'P2002' });
    const again = await db.upload.upsert({ where: { id: upload.id }, create: upload, update: {} });
    expect(again).toMatchObject({ status: UploadStatus.processed, inserted: 3, received: 3 });
  });

  it('runs a learning job through its states', async () => {
    const job = await db.learningJob.create({ data: { id: 'job-1', asin: ASIN, reason: LearningReason.new } });
    expect(job).toMatchObject({ status: LearningJobStatus.queued, attempts: 0, startedAt: null });
    await db.learningJob.update({
      where: { id: job.id },
      data: { status: LearningJobStatus.running, attempts: { increment: 1 }, startedAt: new Date() },
    });
    const done = await db.learningJob.update({
      where: { id: job.id },
      data: { status: LearningJobStatus.done, learningVersion: 2, finishedAt: new Date() },
    });
    expect(done).toMatchObject({ status: LearningJobStatus.done, attempts: 1, learningVersion: 2 });
    expect(await db.learningJob.count({ where: { asin: ASIN, status: LearningJobStatus.done } })).toBe(1);
  });

  it('creates a report with a generated uuid and stores its content when ready', async () => {
    const report = await db.report.create({ data: { asin: ASIN } });
    expect(report.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(report.status).toBe(ReportStatus.pending);
    const content = { asin: ASIN, sentiment: { positive: 1, mixed: 1 }, topDimensions: ['噪音'] };
    await db.report.update({ where: { id: report.id }, data: { status: ReportStatus.ready, content, readyAt: new Date() } });
    const ready = await db.report.findUniqueOrThrow({ where: { id: report.id } });
    expect(ready.content).toEqual(content);
    expect(ready.readyAt).toBeInstanceOf(Date);
  });

  it('adds up LLM usage per (service, model, stage, asin, day) with concurrent upserts', async () => {
    const day = new Date('2024-03-01T00:00:00Z');
    const key = { service: 'translate-svc', model: 'qwen-plus-latest', stage: 'translate_batch', asin: ASIN, day };
    const record = (promptTokens: number, failed: boolean) =>
      db.llmUsage.upsert({
        where: { service_model_stage_asin_day: key },
        create: { ...key, calls: 1, promptTokens, completionTokens: 10, failures: failed ? 1 : 0 },
        update: {
          calls: { increment: 1 },
          promptTokens: { increment: promptTokens },
          completionTokens: { increment: 10 },
          failures: { increment: failed ? 1 : 0 },
        },
      });
    // All at once, the first included: Prisma turns this upsert into one
    // INSERT … ON CONFLICT DO UPDATE, so racing writers neither fail nor lose counts.
    await Promise.all(Array.from({ length: 10 }, (_, i) => record(100, i === 0)));

    const row = await db.llmUsage.findUniqueOrThrow({ where: { service_model_stage_asin_day: key } });
    expect(row).toMatchObject({ calls: 10, promptTokens: 1000, completionTokens: 100, failures: 1 });
    expect(row.day.toISOString()).toBe('2024-03-01T00:00:00.000Z');
  });

  it('deleting a product removes everything that belongs to it', async () => {
    await db.product.create({ data: { asin: 'B0GONE' } });
    await db.review.create({ data: { ...review('X1', 'bye'), asin: 'B0GONE' } });
    await db.report.create({ data: { asin: 'B0GONE' } });
    await db.product.delete({ where: { asin: 'B0GONE' } });
    expect(await db.review.count({ where: { asin: 'B0GONE' } })).toBe(0);
    expect(await db.report.count({ where: { asin: 'B0GONE' } })).toBe(0);
    expect(await db.review.count({ where: { asin: ASIN } })).toBe(4);
  });

  it('holds at most poolSize connections', async () => {
    const small = createDbClient({ url: stack.databaseUrl, poolSize: 2, applicationName: 'db-pool-spec' });
    try {
      const seen = await Promise.all(
        Array.from({ length: 8 }, () =>
          small.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'db-pool-spec'`,
        ),
      );
      const counts = seen.map((rows) => rows[0]!.n);
      expect(Math.max(...counts)).toBeLessThanOrEqual(2);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    } finally {
      await small.$disconnect();
    }
    const left = await withPg(stack.databaseUrl, (pg) =>
      pg.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'db-pool-spec'`),
    );
    expect(left.rowCount).toBe(0);
  });

  it('rejects a pool size that is not a positive integer', () => {
    expect(() => createDbClient({ url: stack.databaseUrl, poolSize: 0 })).toThrow(/poolSize.*DB_POOL_SIZE/);
  });
});
