/**
 * What the database can store, defined once: the gateway refuses an upload
 * that breaks these rules with a 400, and ingest-svc checks each review
 * against the same rules before its bulk insert (a message may come from an
 * older gateway, or a rule may be tightened later), so one bad review never
 * fails a whole upload.
 *
 * - PostgreSQL `text` and `jsonb` cannot hold U+0000 (22021 / 22P05), and a
 *   lone UTF-16 surrogate is not Unicode at all: node-postgres would silently
 *   turn it into U+FFFD in text, and jsonb refuses its escape (22P02).
 * - `integer` columns hold −2³¹ … 2³¹−1 (22003 beyond).
 * - Lengths are the product's own limits (PostgreSQL `text` has none that
 *   matters), counted like JavaScript and zod count them: UTF-16 code units.
 *
 * This module imports nothing, so a validator can load it alone
 * (`@voc/db/limits`) without the Prisma client.
 */

/** PostgreSQL `integer`. */
export const INT4 = Object.freeze({ min: -2_147_483_648, max: 2_147_483_647 });

export interface TextLimit {
  maxLength: number;
}
export interface IntLimit {
  min: number;
  max: number;
}

/** Per column of what an upload carries: the one definition of their limits. */
export const COLUMN_LIMITS = Object.freeze({
  review: Object.freeze({
    /** reviews.review_id: also part of a unique btree index, so it must stay short. */
    reviewId: { maxLength: 128 } as TextLimit,
    rating: { min: 1, max: 5 } as IntLimit,
    body: { maxLength: 20_000 } as TextLimit,
    title: { maxLength: 500 } as TextLimit,
    author: { maxLength: 200 } as TextLimit,
    /** reviews.review_date, stored as given ("YYYY-MM-DD" or an ISO timestamp). */
    date: { maxLength: 64 } as TextLimit,
    helpfulVotes: { min: 0, max: INT4.max } as IntLimit,
  }),
  product: Object.freeze({
    asin: { maxLength: 64 } as TextLimit,
    marketplace: { maxLength: 16 } as TextLimit,
    title: { maxLength: 500 } as TextLimit,
    /** products.bullet_points (jsonb): at most this many, each at most this long. */
    bulletPoints: { maxItems: 30, maxLength: 2_000 },
  }),
});

/**
 * Why `text` cannot be stored in a PostgreSQL text or jsonb column, or
 * undefined when it can: a NUL character, or an unpaired UTF-16 surrogate.
 */
export function storable(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return `contains a NUL character (U+0000) at position ${i}, which PostgreSQL cannot store`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `contains an unpaired UTF-16 surrogate at position ${i} (not valid Unicode)`;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return `contains an unpaired UTF-16 surrogate at position ${i} (not valid Unicode)`;
  }
  return undefined;
}

/** Why `value` does not fit a text column with `limit`, or undefined. */
export function textProblem(value: string, limit: TextLimit): string | undefined {
  if (value.length > limit.maxLength) return `at most ${limit.maxLength} characters (got ${value.length})`;
  return storable(value);
}

/** Why `value` does not fit an integer column with `limit`, or undefined. */
export function intProblem(value: number, limit: IntLimit): string | undefined {
  if (!Number.isInteger(value)) return 'expected a whole number';
  if (value < limit.min || value > limit.max) return `must be from ${limit.min} to ${limit.max} (got ${value})`;
  return undefined;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** The fields of a review as an upload carries them (optional ones may be absent or null). */
export interface ReviewFields {
  reviewId: string;
  rating: number;
  body: string;
  title?: string | null;
  author?: string | null;
  date?: string | null;
  helpfulVotes?: number | null;
}

/** Every field of `review` the database could not store, with why; [] when it can be stored. */
export function reviewProblems(review: ReviewFields): FieldProblem[] {
  const L = COLUMN_LIMITS.review;
  const out: FieldProblem[] = [];
  const text = (field: keyof typeof L, value: string | null | undefined) => {
    if (value === undefined || value === null) return;
    const p = textProblem(value, L[field] as TextLimit);
    if (p) out.push({ field, message: p });
  };
  const int = (field: keyof typeof L, value: number | null | undefined) => {
    if (value === undefined || value === null) return;
    const p = intProblem(value, L[field] as IntLimit);
    if (p) out.push({ field, message: p });
  };
  text('reviewId', review.reviewId);
  int('rating', review.rating);
  text('body', review.body);
  text('title', review.title);
  text('author', review.author);
  text('date', review.date);
  int('helpfulVotes', review.helpfulVotes);
  return out;
}

export interface ProductFields {
  title?: string | null;
  bulletPoints?: readonly string[] | null;
}

/**
 * Every product field the database could not store. A bad bullet point is
 * named by its index (`bulletPoints.3`), so a caller can keep the others.
 */
export function productProblems(product: ProductFields): FieldProblem[] {
  const L = COLUMN_LIMITS.product;
  const out: FieldProblem[] = [];
  if (product.title !== undefined && product.title !== null) {
    const p = textProblem(product.title, L.title);
    if (p) out.push({ field: 'title', message: p });
  }
  const bullets = product.bulletPoints ?? [];
  if (bullets.length > L.bulletPoints.maxItems) {
    out.push({ field: 'bulletPoints', message: `at most ${L.bulletPoints.maxItems} bullet points (got ${bullets.length})` });
  }
  bullets.forEach((b, i) => {
    const p = textProblem(b, L.bulletPoints);
    if (p) out.push({ field: `bulletPoints.${i}`, message: p });
  });
  return out;
}

/**
 * `text` with what PostgreSQL cannot store written as escapes (`\u0000`,
 * `\ud800`), for keeping and showing a rejected value. Backslashes stay as
 * they are, so the result is for reading, not for round-tripping.
 */
export function escapeUnstorable(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const hex = () => `\\u${c.toString(16).padStart(4, '0')}`;
    if (c === 0) out += hex();
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else out += hex();
    } else if (c >= 0xdc00 && c <= 0xdfff) out += hex();
    else out += text[i]!;
  }
  return out;
}
