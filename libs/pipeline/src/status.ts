/** Read models for the gateway: a product's progress, and its reviews with their results (or why they were rejected). */
import { bulletPointsOf, bulletPointsZhOf, type LlmUsageSummary, type Prisma, type PrismaClient } from '@voc/db';
import { productUsage } from './usage';

export interface ProductStatus {
  asin: string;
  title: string | null;
  learned: boolean;
  learningState: string;
  learningVersion: number;
  /** When learning failed: why, how many times in a row, and when it retries by itself. */
  learningFailure: { error: string | null; failures: number; retryAt: string | null } | null;
  /** `rejected`: reviews of uploads that the database could not store (listed by `status: 'rejected'`). */
  reviews: { total: number; translated: number; insights: number; themes: number; failed: number; rejected: number };
  /** Reviews per stage and status, for progress bars. */
  stages: Record<'translate' | 'insight' | 'theme', Record<'pending' | 'queued' | 'done' | 'failed', number>>;
  dimensions: { name: string; description: string }[];
  labels: { category: string; name: string; description: string }[];
  bulletPoints: string[];
  bulletPointsZh: string[] | null;
  /** Translation of the bullet points: status, and the last error when it failed. */
  bulletPointsTranslation: { status: string; attempts: number; error: string | null };
  /** Product fields of uploads that the database could not store (latest first, at most 20). */
  rejectedFields: { field: string; reason: string; uploadId: string; rejectedAt: string }[];
  /** LLM calls, tokens and cost spent on the product, in total and per stage. */
  usage: LlmUsageSummary;
}

type Counts = Record<'pending' | 'queued' | 'done' | 'failed', number>;
const zero = (): Counts => ({ pending: 0, queued: 0, done: 0, failed: 0 });

export async function productStatus(db: PrismaClient, asin: string): Promise<ProductStatus | undefined> {
  const product = await db.product.findUnique({ where: { asin } });
  if (!product) return undefined;
  const [rows, dimensions, labels] = await Promise.all([
    db.$queryRaw<{ stage: 'translate' | 'insight' | 'theme'; status: keyof Counts; n: bigint }[]>`
      SELECT 'translate' AS stage, translate_status::text AS status, count(*) AS n FROM reviews WHERE asin = ${asin} GROUP BY 2
      UNION ALL SELECT 'insight', insight_status::text, count(*) FROM reviews WHERE asin = ${asin} GROUP BY 2
      UNION ALL SELECT 'theme', theme_status::text, count(*) FROM reviews WHERE asin = ${asin} GROUP BY 2`,
    db.dimension.findMany({ where: { asin, learningVersion: product.learningVersion }, orderBy: { id: 'asc' }, select: { name: true, description: true } }),
    db.label.findMany({
      where: { asin, learningVersion: product.learningVersion },
      orderBy: [{ category: 'asc' }, { id: 'asc' }],
      select: { category: true, name: true, description: true },
    }),
  ]);
  const stages = { translate: zero(), insight: zero(), theme: zero() };
  for (const r of rows) stages[r.stage][r.status] = Number(r.n);
  const total = Object.values(stages.translate).reduce((a, b) => a + b, 0);
  const [failed, rejected, rejectedFields] = await Promise.all([
    db.review.count({ where: { asin, OR: [{ translateStatus: 'failed' }, { insightStatus: 'failed' }, { themeStatus: 'failed' }] } }),
    rejectedCount(db, asin),
    db.rejectedProductField.findMany({ where: { asin }, orderBy: { id: 'desc' }, take: 20 }),
  ]);
  return {
    asin,
    title: product.title,
    learned: product.learningState === 'learned' || product.learningVersion > 0,
    learningState: product.learningState,
    learningVersion: product.learningVersion,
    learningFailure:
      product.learningFailures > 0
        ? { error: product.learningError, failures: product.learningFailures, retryAt: product.learningRetryAt?.toISOString() ?? null }
        : null,
    reviews: { total, translated: stages.translate.done, insights: stages.insight.done, themes: stages.theme.done, failed, rejected },
    stages,
    dimensions,
    labels,
    bulletPoints: bulletPointsOf(product),
    bulletPointsZh: bulletPointsZhOf(product),
    bulletPointsTranslation: {
      status: product.bulletsTranslateStatus,
      attempts: product.bulletsTranslateAttempts,
      error: product.bulletsTranslateError,
    },
    rejectedFields: rejectedFields.map((f) => ({ field: f.field, reason: f.reason, uploadId: f.uploadId, rejectedAt: f.createdAt.toISOString() })),
    usage: await productUsage(db, asin),
  };
}

/** Distinct reviewIds of `asin` rejected by the database and not stored since (a corrected re-upload stores them). */
async function rejectedCount(db: PrismaClient, asin: string): Promise<number> {
  const [row] = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(DISTINCT rr.review_id) AS n FROM rejected_reviews rr
    WHERE rr.asin = ${asin} AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.asin = rr.asin AND r.review_id = rr.review_id)`;
  return Number(row?.n ?? 0);
}

export interface ReviewPage {
  items: (ReviewView | RejectedReviewView)[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ReviewView {
  reviewId: string;
  rating: number;
  title: string | null;
  body: string;
  author: string | null;
  date: string | null;
  category: string;
  translation: { body: string | null; status: string };
  insights: { dimension: string; sentiment: string; quote: string; analysis: string }[];
  themes: { category: string; label: string; quote: string }[];
  status: { translate: string; insight: string; theme: string };
  /** Set when the provider refused the review's text (it is then failed at that stage). */
  refused?: string;
}

/** A review the database could not store: what was uploaded (unstorable characters as escapes) and why. */
export interface RejectedReviewView {
  reviewId: string;
  status: 'rejected';
  rejection: { reason: string; uploadId: string; rejectedAt: string };
  /** The review as uploaded, parsed from its stored JSON text (NUL and lone surrogates come back as escapes). */
  uploaded: unknown;
}

/**
 * Filters of `listReviews`: `done` (every stage done), `in_progress` (some
 * stage still pending or queued, none failed), `failed` (some stage failed),
 * `rejected` (not stored: the database could not take it).
 */
export const REVIEW_LIST_STATUSES = ['done', 'in_progress', 'failed', 'rejected'] as const;
export type ReviewListStatus = (typeof REVIEW_LIST_STATUSES)[number];

export interface ListReviewsOptions {
  limit: number;
  cursor?: string;
  status?: ReviewListStatus;
}

const STAGE_FILTERS: Record<Exclude<ReviewListStatus, 'rejected'>, Prisma.ReviewWhereInput> = {
  done: { translateStatus: 'done', insightStatus: 'done', themeStatus: 'done' },
  failed: { OR: [{ translateStatus: 'failed' }, { insightStatus: 'failed' }, { themeStatus: 'failed' }] },
  in_progress: {
    NOT: [{ translateStatus: 'failed' }, { insightStatus: 'failed' }, { themeStatus: 'failed' }],
    OR: [{ translateStatus: { not: 'done' } }, { insightStatus: { not: 'done' } }, { themeStatus: { not: 'done' } }],
  },
};

/**
 * Keyset paging by internal id: stable while new reviews arrive. The cursor
 * is opaque to clients (and tied to the filter it came from). The older
 * positional form `listReviews(db, asin, limit, cursor)` still works.
 */
export async function listReviews(db: PrismaClient, asin: string, opts: ListReviewsOptions): Promise<ReviewPage>;
export async function listReviews(db: PrismaClient, asin: string, limit: number, cursor?: string): Promise<ReviewPage>;
export async function listReviews(db: PrismaClient, asin: string, a: ListReviewsOptions | number, cursor?: string): Promise<ReviewPage> {
  const opts: ListReviewsOptions = typeof a === 'number' ? { limit: a, ...(cursor ? { cursor } : {}) } : a;
  if (opts.status !== undefined && !(REVIEW_LIST_STATUSES as readonly string[]).includes(opts.status)) {
    throw new InvalidReviewFilterError(`status must be one of ${REVIEW_LIST_STATUSES.join(', ')}`);
  }
  if (opts.status === 'rejected') return listRejected(db, asin, opts);
  const { limit } = opts;
  const after = opts.cursor ? decodeCursor(opts.cursor, 'r') : 0;
  const rows = await db.review.findMany({
    where: { asin, id: { gt: after }, ...(opts.status ? STAGE_FILTERS[opts.status] : {}) },
    orderBy: { id: 'asc' },
    take: limit + 1,
    include: {
      insights: { orderBy: { position: 'asc' }, include: { dimension: { select: { name: true } } } },
      themes: { orderBy: [{ category: 'asc' }, { id: 'asc' }], include: { label: { select: { name: true } } } },
    },
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      reviewId: r.reviewId,
      rating: r.rating,
      title: r.title,
      body: r.body,
      author: r.author,
      date: r.reviewDate,
      category: r.category,
      translation: { body: r.bodyZh, status: r.translateStatus },
      insights: r.insights.map((i) => ({ dimension: i.dimension.name, sentiment: i.sentiment, quote: i.quote, analysis: i.analysis })),
      themes: r.themes.map((t) => ({ category: t.category, label: t.label.name, quote: t.quote })),
      status: { translate: r.translateStatus, insight: r.insightStatus, theme: r.themeStatus },
      ...(r.refusedReason ? { refused: r.refusedReason } : {}),
    })),
    nextCursor: rows.length > limit ? encodeCursor('r', page[page.length - 1]!.id) : null,
  };
}

async function listRejected(db: PrismaClient, asin: string, opts: ListReviewsOptions): Promise<ReviewPage> {
  const after = opts.cursor ? decodeCursor(opts.cursor, 'x') : 0;
  const rows = await db.rejectedReview.findMany({
    where: { asin, id: { gt: after } },
    orderBy: { id: 'asc' },
    take: opts.limit + 1,
  });
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => {
      let uploaded: unknown;
      try {
        uploaded = JSON.parse(r.raw);
      } catch {
        uploaded = r.raw;
      }
      return {
        reviewId: r.reviewId,
        status: 'rejected' as const,
        rejection: { reason: r.reason, uploadId: r.uploadId, rejectedAt: r.createdAt.toISOString() },
        uploaded,
      };
    }),
    nextCursor: rows.length > opts.limit ? encodeCursor('x', page[page.length - 1]!.id) : null,
  };
}

/** A `status` filter listReviews does not know (the gateway answers 400). */
export class InvalidReviewFilterError extends Error {}

export class InvalidCursorError extends Error {}

/** `r:` pages reviews, `x:` rejected reviews: a cursor only works with the list it came from. */
function encodeCursor(kind: 'r' | 'x', id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string, kind: 'r' | 'x'): number {
  const m = new RegExp(`^${kind}:(\\d+)$`).exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidCursorError(`invalid cursor '${cursor.slice(0, 40)}'`);
  return Number(m[1]);
}
