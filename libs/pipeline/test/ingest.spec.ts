/**
 * The ingest handler on real servers: poison is isolated (the rest of the
 * upload is stored, the rejected reviews and fields recorded with why),
 * redeliveries are harmless, and learning is queued by the rule.
 */
import { handleIngest, listReviews, productStatus, type RejectedReviewView } from '../src';
import { ingest, jobsIn, rejection, reviews, useEnv, type Env } from './support';

jest.setTimeout(60_000);

describe('ingest handler', () => {
  const f = useEnv();
  let env: Env;
  beforeEach(() => (env = f.env));

  it('stores the good reviews of an upload with a NUL body and a helpfulVotes beyond integer, and records those two as rejected', async () => {
    const asin = 'B0POISON01';
    const good = reviews(5, 'g');
    const upload = [...good, { reviewId: 'nul', rating: 5, body: 'great\u0000kettle' }, { reviewId: 'huge', rating: 4, body: 'fine', helpfulVotes: 3_000_000_000 }];
    const r = await ingest(env, asin, upload);
    expect(r).toMatchObject({ received: 7, inserted: 5, rejected: 2, duplicates: 0 });

    const status = await productStatus(env.db, asin);
    expect(status?.reviews).toMatchObject({ total: 5, rejected: 2 });
    const page = await listReviews(env.db, asin, { limit: 10, status: 'rejected' });
    const rejected = page.items as RejectedReviewView[];
    expect(rejected.map((x) => [x.reviewId, x.status])).toEqual([
      ['nul', 'rejected'],
      ['huge', 'rejected'],
    ]);
    expect(rejected[0]!.rejection.reason).toMatch(/body: contains a NUL character/);
    expect(rejected[1]!.rejection.reason).toMatch(/helpfulVotes: must be from 0 to 2147483647/);
    // What was uploaded comes back as uploaded (the NUL kept as an escape in the stored text).
    expect(rejected[0]!.uploaded).toMatchObject({ reviewId: 'nul', body: 'great\u0000kettle' });
    // The good ones went on to translation.
    const translate = (await jobsIn(env.nc, 'TRANSLATE')).filter((j) => j.asin === asin);
    expect(translate.flatMap((j) => (j.kind === 'reviews' ? j.reviewIds : [])).sort()).toEqual(good.map((g) => g.reviewId).sort());
  });

  it('keeps a product whose bullet point holds a NUL, with its other bullets, and stores its reviews', async () => {
    const asin = 'B0POISON02';
    const r = await ingest(env, asin, reviews(3), { title: 'Kettle', bulletPoints: ['1.7 L', 'boils in\u0000 3 min', 'steel'] });
    expect(r).toMatchObject({ inserted: 3, rejected: 0, rejectedFields: ['bulletPoints.1'] });
    const status = await productStatus(env.db, asin);
    expect(status).toMatchObject({ title: 'Kettle', bulletPoints: ['1.7 L', 'steel'], reviews: { total: 3 } });
    expect(status?.rejectedFields).toEqual([expect.objectContaining({ field: 'bulletPoints.1', reason: expect.stringMatching(/NUL/) })]);
  });

  it('narrows down a row the database refuses by a rule the column limits do not know, and stores the rest', async () => {
    const asin = 'B0POISON03';
    // A rule added to the database but not (yet) to the limits.
    await env.db.$executeRawUnsafe(`ALTER TABLE reviews ADD CONSTRAINT test_no_spam CHECK (author IS DISTINCT FROM 'spammer')`);
    try {
      const list = reviews(9).map((x, i) => (i === 6 ? { ...x, author: 'spammer' } : x));
      const r = await ingest(env, asin, list);
      expect(r).toMatchObject({ inserted: 8, rejected: 1 });
      const page = await listReviews(env.db, asin, { limit: 10, status: 'rejected' });
      expect(page.items).toEqual([expect.objectContaining({ reviewId: 'r7', rejection: expect.objectContaining({ reason: expect.stringMatching(/23514/) }) })]);
    } finally {
      await env.db.$executeRawUnsafe('ALTER TABLE reviews DROP CONSTRAINT test_no_spam');
    }
  });

  it('records a rejected review once when the same upload is delivered again', async () => {
    const asin = 'B0POISON04';
    const job = { uploadId: 'redelivered-1', asin, reviews: [...reviews(2), { reviewId: 'bad', rating: 9, body: 'x' }] };
    const first = await handleIngest(env.deps, job);
    // Delivered again before the first attempt marked the upload processed (a crash after the insert).
    await env.db.upload.update({ where: { id: 'redelivered-1' }, data: { status: 'received' } });
    const again = await handleIngest(env.deps, job);
    expect([first.inserted, again.inserted]).toEqual([2, 0]);
    expect(await env.db.rejectedReview.count({ where: { asin } })).toBe(1);
    expect((await productStatus(env.db, asin))?.reviews.rejected).toBe(1);
  });

  it('no longer counts a rejected review once a corrected re-upload stores it', async () => {
    const asin = 'B0POISON05';
    await ingest(env, asin, [{ reviewId: 'fixme', rating: 5, body: 'bad\u0000' }]);
    expect((await productStatus(env.db, asin))?.reviews.rejected).toBe(1);
    await ingest(env, asin, [{ reviewId: 'fixme', rating: 5, body: 'good now' }]);
    expect((await productStatus(env.db, asin))?.reviews).toMatchObject({ total: 1, rejected: 0 });
  });

  it('fails an upload whose product cannot be stored at all, with the database’s error and nothing half-stored', async () => {
    const err = await rejection(ingest(env, 'B0\u0000BADASIN', reviews(1)));
    expect(String(err)).toMatch(/0x00|22021/);
    expect(await env.db.review.count({ where: { asin: 'B0\u0000BADASIN'.replace('\u0000', '') } })).toBe(0);
  });

  it('queues learning (job row, then message) once the product has LEARN_MIN_REVIEWS reviews', async () => {
    const asin = 'B0LEARN001';
    await ingest(env, asin, reviews(env.deps.settings.LEARN_MIN_REVIEWS - 1));
    expect((await env.db.product.findUnique({ where: { asin } }))?.learningState).toBe('pending');
    await ingest(env, asin, reviews(1, 'last'));
    const product = await env.db.product.findUnique({ where: { asin }, include: { learningJobs: true } });
    expect(product?.learningState).toBe('queued');
    expect(product?.learningJobs).toEqual([expect.objectContaining({ status: 'queued', reason: 'new', publishedAt: expect.any(Date) })]);
    expect((await jobsIn(env.nc, 'LEARNING')).filter((j) => j.asin === asin)).toEqual([
      { jobId: product!.learningJobs[0]!.id, asin, reason: 'new' },
    ]);
  });
});
