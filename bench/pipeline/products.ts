/**
 * The fixed product list of `npm run bench:pipeline`: 12 products of
 * ../shared/data/reviews-dev.jsonl (not in the repo), large and small, the
 * first N reviews of each in file order, 8,000 reviews in all. One product
 * has fewer than LEARN_MIN_REVIEWS (20): it is learned only after its uploads
 * go quiet (LEARN_QUIET_MS), as small products are in production.
 *
 * --reviews below 8,000 scales every share down (at least 1 review each).
 * Without ../shared (a fresh clone), every product of the shipped sample
 * (data/reviews-sample.jsonl, ~500 reviews) is used instead, whatever
 * --reviews says.
 */
import { loadReviewsByProduct, reviewDataPath, ROOT, type DataReview } from '@voc/e2e';
import path from 'node:path';

/** [asin, reviews taken] of reviews-dev.jsonl; sums to 8,000. */
export const BENCH_PRODUCTS: readonly (readonly [string, number])[] = [
  ['B018Y229OU', 2400],
  ['B00U3FPN4U', 1800],
  ['B00OQVZDJM', 1300],
  ['B018Y23MNM', 900],
  ['B018Y225IA', 600],
  ['B00IOY8XWQ', 400],
  ['B01J2G4VBG', 250],
  ['B00TSUGXKE', 150],
  ['B0189XYY0Q', 100],
  ['B00VINDBJK', 50],
  ['B00QFQRELG', 34],
  ['B01J4ORNHU', 16],
];

export const BENCH_PRODUCTS_TOTAL = BENCH_PRODUCTS.reduce((s, [, n]) => s + n, 0);

export interface ProductSet {
  source: string;
  /** True when ../shared was missing and the shipped sample stands in. */
  fallback: boolean;
  products: [string, DataReview[]][];
  total: number;
}

export function benchProducts(reviews: number): ProductSet {
  const file = reviewDataPath();
  const byProduct = loadReviewsByProduct(file);
  const source = path.relative(ROOT, file);
  const usable = (rs: DataReview[]) => rs.filter((r) => r.body.trim());
  const fixed = BENCH_PRODUCTS.every(([asin, n]) => (byProduct.get(asin)?.length ?? 0) >= n);
  let products: [string, DataReview[]][];
  if (fixed) {
    const scale = Math.min(1, reviews / BENCH_PRODUCTS_TOTAL);
    products = BENCH_PRODUCTS.map(([asin, n]) => [asin, usable(byProduct.get(asin)!.slice(0, Math.max(1, Math.round(n * scale))))]);
  } else {
    products = [...byProduct.entries()].map(([asin, rs]) => [asin, usable(rs)] as [string, DataReview[]]).sort((x, y) => y[1].length - x[1].length);
  }
  products = products.filter(([, rs]) => rs.length > 0);
  return { source, fallback: !fixed, products, total: products.reduce((s, [, rs]) => s + rs.length, 0) };
}
