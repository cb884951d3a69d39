/** Read models for the gateway: a product's progress, and its reviews with their results. */
import { bulletPointsOf, bulletPointsZhOf, type LlmUsageSummary, type PrismaClient } from '@voc/db';
import { productUsage } from './usage';

export interface ProductStatus {
  asin: string;
  title: string | null;
  learned: boolean;
  learningState: string;
  learningVersion: number;
  reviews: { total: number; translated: number; insights: number; themes: number; failed: number };
  /** Reviews per stage and status, for progress bars. */
  stages: Record<'translate' | 'insight' | 'theme', Record<'pending' | 'queued' | 'done' | 'failed', number>>;
  dimensions: { name: string; description: string }[];
  labels: { category: string; name: string; description: string }[];
  bulletPoints: string[];
  bulletPointsZh: string[] | null;
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
  const failed = await db.review.count({
    where: { asin, OR: [{ translateStatus: 'failed' }, { insightStatus: 'failed' }, { themeStatus: 'failed' }] },
  });
  return {
    asin,
    title: product.title,
    learned: product.learningState === 'learned' || product.learningVersion > 0,
    learningState: product.learningState,
    learningVersion: product.learningVersion,
    reviews: { total, translated: stages.translate.done, insights: stages.insight.done, themes: stages.theme.done, failed },
    stages,
    dimensions,
    labels,
    bulletPoints: bulletPointsOf(product),
    bulletPointsZh: bulletPointsZhOf(product),
    usage: await productUsage(db, asin),
  };
}

export interface ReviewPage {
  items: ReviewView[];
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
}

/** Keyset paging by internal id: stable while new reviews arrive. The cursor is opaque to clients. */
export async function listReviews(db: PrismaClient, asin: string, limit: number, cursor?: string): Promise<ReviewPage> {
  const after = cursor ? decodeCursor(cursor) : 0;
  const rows = await db.review.findMany({
    where: { asin, id: { gt: after } },
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
    })),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

export class InvalidCursorError extends Error {}

function encodeCursor(id: number): string {
  return Buffer.from(`r:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^r:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidCursorError(`invalid cursor '${cursor.slice(0, 40)}'`);
  return Number(m[1]);
}
