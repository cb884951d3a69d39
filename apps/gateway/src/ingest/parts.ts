/**
 * How an upload becomes INGEST messages. A NATS message is limited (1 MB by
 * default), so an upload is split into parts of at most `maxReviews` reviews
 * and `maxBytes` of JSON. Each part's Nats-Msg-Id is a hash of its CONTENT
 * (asin, product, reviews) — not of the random uploadId — so a re-sent
 * identical upload is dropped by JetStream inside the duplicate window, and
 * a client retrying after a 503 never duplicates the parts that did land.
 */
import { createHash } from 'node:crypto';
import type { IngestJob, ReviewInput } from '@voc/messaging';
import type { ValidReview, ValidUpload } from '../validation';

export type IngestProduct = NonNullable<IngestJob['product']>;

export interface PartLimits {
  maxReviews: number;
  maxBytes: number;
}

export interface UploadPart {
  reviews: ReviewInput[];
  /** Size of the part's message, envelope included (an upper bound: widest uploadId and part numbers). */
  bytes: number;
  msgId: string;
}

/** Fixed key order, nulls dropped: the JSON (and so the msgId) depends only on the review's content. */
export function toReviewInput(r: ValidReview): ReviewInput {
  const out: ReviewInput = { reviewId: r.reviewId, rating: r.rating, body: r.body };
  if (r.title != null && r.title !== '') out.title = r.title;
  if (r.author != null && r.author !== '') out.author = r.author;
  if (r.date != null) out.date = r.date;
  if (r.helpfulVotes != null) out.helpfulVotes = r.helpfulVotes;
  if (r.verified != null) out.verified = r.verified;
  return out;
}

/** The product as the job carries it; undefined when the upload says nothing about it. */
export function toIngestProduct(p: ValidUpload['product']): IngestProduct | undefined {
  const out: IngestProduct = {};
  if (p?.title) out.title = p.title;
  if (p?.bulletPoints?.length) out.bulletPoints = p.bulletPoints;
  return out.title === undefined && out.bulletPoints === undefined ? undefined : out;
}

const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** `ingest:<asin>:<sha256 of asin, product and the part's reviews>`. */
export function partMsgId(asin: string, product: IngestProduct | undefined, reviews: readonly ReviewInput[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([asin, product ?? null, reviews]))
    .digest('base64url')
    .slice(0, 32);
  return `ingest:${asin}:${digest}`;
}

/**
 * Packs the reviews, in order, into as few parts as the limits allow. A
 * single review larger than `maxBytes` travels alone in its part (a review
 * cannot be split; validation bounds its size far below NATS' max payload).
 */
export function planParts(
  asin: string,
  product: IngestProduct | undefined,
  reviews: readonly ReviewInput[],
  limits: PartLimits,
): UploadPart[] {
  if (limits.maxReviews < 1 || limits.maxBytes < 1) throw new RangeError(`invalid part limits ${JSON.stringify(limits)}`);
  const envelope = jsonBytes({
    uploadId: '00000000-0000-0000-0000-000000000000',
    asin,
    product,
    reviews: [],
    part: 99_999,
    parts: 99_999,
  } satisfies IngestJob);
  const groups: { reviews: ReviewInput[]; bytes: number }[] = [];
  let current: { reviews: ReviewInput[]; bytes: number } | undefined;
  for (const r of reviews) {
    const size = jsonBytes(r);
    // +1 for the comma between array elements.
    const full = current && (current.reviews.length >= limits.maxReviews || current.bytes + 1 + size > limits.maxBytes);
    if (!current || full) {
      current = { reviews: [], bytes: envelope };
      groups.push(current);
    }
    current.bytes += (current.reviews.length > 0 ? 1 : 0) + size;
    current.reviews.push(r);
  }
  return groups.map((g) => ({ ...g, msgId: partMsgId(asin, product, g.reviews) }));
}
