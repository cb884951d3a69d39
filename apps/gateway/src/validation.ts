import { z } from 'zod';
import { ApiError, type ErrorDetail } from './errors';
import { COLUMN_LIMITS, INT4, storable } from '@voc/db/limits';

/** Amazon ASINs: ten upper-case letters or digits. */
export const ASIN_RE = /^[A-Z0-9]{10}$/;

export function parseAsin(raw: string): string {
  if (!ASIN_RE.test(raw)) {
    throw new ApiError('invalid_asin', `${JSON.stringify(raw.slice(0, 40))} is not an ASIN (10 upper-case letters or digits)`, [
      { field: 'asin', message: 'expected 10 upper-case letters or digits' },
    ]);
  }
  return raw;
}

const { review: REVIEW, product: PRODUCT } = COLUMN_LIMITS;

/** The column limits are the database's (@voc/db/limits, one definition); only the request size is the API's own. */
export const LIMITS = {
  reviewsPerUpload: 1000,
  reviewIdChars: REVIEW.reviewId.maxLength,
  bodyChars: REVIEW.body.maxLength,
  titleChars: REVIEW.title.maxLength,
  authorChars: REVIEW.author.maxLength,
  bulletPoints: PRODUCT.bulletPoints.maxItems,
  bulletChars: PRODUCT.bulletPoints.maxLength,
} as const;

/** Text the database can store (@voc/db's `storable`), trimmed, at most `max` UTF-16 units. */
const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    .superRefine((s, ctx) => {
      const why = storable(s);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    });

export const reviewSchema = z.object({
  reviewId: z
    .string()
    .trim()
    .min(1, 'required')
    .max(LIMITS.reviewIdChars, `at most ${LIMITS.reviewIdChars} characters`)
    .regex(/^[\w.:-]+$/, 'letters, digits, and . _ : - only'),
  rating: z.number({ message: 'expected a number' }).int('expected a whole number').min(1, 'must be 1–5').max(5, 'must be 1–5'),
  body: text(LIMITS.bodyChars).min(1, 'must not be empty'),
  title: text(LIMITS.titleChars).optional().nullable(),
  author: text(LIMITS.authorChars).optional().nullable(),
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'expected YYYY-MM-DD or an ISO 8601 timestamp')
    .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date')
    .optional()
    .nullable(),
  helpfulVotes: z.number().int('expected a whole number').min(0, 'must be ≥ 0').max(INT4.max, `at most ${INT4.max}`).optional().nullable(),
  verified: z.boolean({ message: 'expected true or false' }).optional().nullable(),
});

export const uploadSchema = z.object({
  product: z
    .object({
      title: text(LIMITS.titleChars).optional().nullable(),
      bulletPoints: z.array(text(LIMITS.bulletChars).min(1, 'must not be empty')).max(LIMITS.bulletPoints).optional().nullable(),
    })
    .optional()
    .nullable(),
  reviews: z
    .array(z.unknown())
    .min(1, 'at least one review')
    .max(LIMITS.reviewsPerUpload, `at most ${LIMITS.reviewsPerUpload} reviews per request`),
});

export type ValidReview = z.infer<typeof reviewSchema>;
export interface ValidUpload {
  product?: { title?: string; bulletPoints?: string[] };
  reviews: ValidReview[];
}

function toDetails(issues: z.core.$ZodIssue[], index?: number): ErrorDetail[] {
  return issues.map((i) => ({
    ...(index === undefined ? {} : { index }),
    field: i.path.length ? i.path.join('.') : undefined,
    message: i.message,
  }));
}

/**
 * Validates a whole upload before anything is enqueued: every bad review is
 * reported with its index and field, and duplicate reviewIds in one request
 * are refused (which of the two bodies is right would be a guess).
 */
export function validateUpload(body: unknown): ValidUpload {
  const top = uploadSchema.safeParse(body);
  if (!top.success) {
    throw new ApiError('invalid_upload', 'the upload is not valid', toDetails(top.error.issues));
  }
  const details: ErrorDetail[] = [];
  const reviews: ValidReview[] = [];
  const seen = new Map<string, number>();
  top.data.reviews.forEach((raw, index) => {
    const r = reviewSchema.safeParse(raw);
    if (!r.success) {
      details.push(...toDetails(r.error.issues, index));
      return;
    }
    const first = seen.get(r.data.reviewId);
    if (first !== undefined) {
      details.push({ index, field: 'reviewId', message: `duplicates the reviewId of review ${first}` });
      return;
    }
    seen.set(r.data.reviewId, index);
    reviews.push(r.data);
  });
  if (details.length > 0) {
    const bad = new Set(details.map((d) => d.index)).size;
    throw new ApiError('invalid_reviews', `${bad} of ${top.data.reviews.length} reviews are invalid; nothing was accepted`, details);
  }
  const p = top.data.product;
  return {
    product: p ? { title: p.title ?? undefined, bulletPoints: p.bulletPoints ?? undefined } : undefined,
    reviews,
  };
}
