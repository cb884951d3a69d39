/**
 * report-svc's stage (no LLM): a product's report assembled from PostgreSQL
 * alone with a handful of aggregate queries.
 */
import type { PrismaClient } from '@voc/db';
import { FIVE_W, type FiveW } from '../domain';
import { productUsage } from '../usage';
import type { DimensionSummary, LabelShare, ReportContent } from './types';

const QUOTES_PER_SIDE = 2;

export async function buildReport(db: PrismaClient, asin: string, now = new Date()): Promise<ReportContent> {
  const product = await db.product.findUniqueOrThrow({ where: { asin } });
  const [ratings, categories, stages, sentiments, quotes, themes, themedReviews] = await Promise.all([
    db.review.groupBy({ by: ['rating'], where: { asin }, _count: { _all: true } }),
    db.review.groupBy({ by: ['category'], where: { asin }, _count: { _all: true } }),
    db.$queryRaw<{ translated: bigint; with_insights: bigint; with_themes: bigint; failed: bigint }[]>`
      SELECT count(*) FILTER (WHERE translate_status = 'done') AS translated,
             count(*) FILTER (WHERE insight_status = 'done') AS with_insights,
             count(*) FILTER (WHERE theme_status = 'done') AS with_themes,
             count(*) FILTER (WHERE translate_status = 'failed' OR insight_status = 'failed' OR theme_status = 'failed') AS failed
      FROM reviews WHERE asin = ${asin}`,
    db.$queryRaw<{ id: number; name: string; description: string; sentiment: string; n: bigint }[]>`
      SELECT d.id, d.name, d.description, i.sentiment::text AS sentiment, count(*) AS n
      FROM insights i JOIN dimensions d ON d.id = i.dimension_id
      WHERE i.asin = ${asin} GROUP BY d.id, d.name, d.description, i.sentiment`,
    // The most helpful reviews' quotes per dimension and side.
    db.$queryRaw<{ dimension_id: number; sentiment: string; quote: string }[]>`
      SELECT dimension_id, sentiment, quote FROM (
        SELECT i.dimension_id, i.sentiment::text AS sentiment, i.quote,
               row_number() OVER (PARTITION BY i.dimension_id, i.sentiment ORDER BY r.helpful_votes DESC, length(i.quote) DESC, i.id) AS k
        FROM insights i JOIN reviews r ON r.id = i.review_pk
        WHERE i.asin = ${asin} AND i.sentiment IN ('positive', 'negative')) q
      WHERE k <= ${QUOTES_PER_SIDE}`,
    db.$queryRaw<{ category: FiveW; label: string; n: bigint }[]>`
      SELECT t.category::text AS category, l.name AS label, count(DISTINCT t.review_pk) AS n
      FROM themes t JOIN labels l ON l.id = t.label_id
      WHERE t.asin = ${asin} GROUP BY t.category, l.name ORDER BY n DESC, l.name`,
    db.$queryRaw<{ category: FiveW; n: bigint }[]>`
      SELECT category::text AS category, count(DISTINCT review_pk) AS n FROM themes WHERE asin = ${asin} GROUP BY category`,
  ]);

  const byRating = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } as ReportContent['reviews']['byRating'];
  let total = 0;
  let ratingSum = 0;
  for (const r of ratings) {
    byRating[String(r.rating) as keyof typeof byRating] = r._count._all;
    total += r._count._all;
    ratingSum += r.rating * r._count._all;
  }
  const byCategory = { vip: 0, standard: 0, short: 0 };
  for (const c of categories) byCategory[c.category] = c._count._all;
  const s = stages[0]!;

  const dims = new Map<number, DimensionSummary>();
  for (const row of sentiments) {
    const d = dims.get(row.id) ?? {
      name: row.name,
      description: row.description,
      total: 0,
      positive: 0,
      negative: 0,
      neutral: 0,
      mixed: 0,
      quotes: { positive: [], negative: [] },
    };
    const n = Number(row.n);
    d.total += n;
    d[row.sentiment as 'positive' | 'negative' | 'neutral' | 'mixed'] += n;
    dims.set(row.id, d);
  }
  for (const q of quotes) dims.get(q.dimension_id)?.quotes[q.sentiment as 'positive' | 'negative'].push(q.quote);

  const themedIn = new Map(themedReviews.map((t) => [t.category, Number(t.n)]));
  const personas = Object.fromEntries(FIVE_W.map((w) => [w, [] as LabelShare[]])) as Record<FiveW, LabelShare[]>;
  for (const t of themes) {
    const count = Number(t.n);
    personas[t.category].push({ label: t.label, count, share: count / (themedIn.get(t.category) || 1) });
  }

  return {
    asin,
    title: product.title,
    generatedAt: now.toISOString(),
    learning:
      product.learningVersion > 0
        ? { version: product.learningVersion, learnedAt: product.learnedAt?.toISOString() ?? null, learnedFromReviews: product.learnedReviewCount }
        : null,
    reviews: { total, averageRating: total ? Math.round((ratingSum / total) * 100) / 100 : null, byRating, byCategory },
    coverage: {
      translated: Number(s.translated),
      withInsights: Number(s.with_insights),
      withThemes: Number(s.with_themes),
      failed: Number(s.failed),
      translationRatio: total ? Number(s.translated) / total : 0,
    },
    dimensions: [...dims.values()].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name)),
    personas,
    llmUsage: await productUsage(db, asin),
  };
}
