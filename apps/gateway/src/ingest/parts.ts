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
  return msgIdOfText(asin, JSON.stringify([asin, product ?? null, reviews]));
}

const msgIdOfText = (asin: string, text: string) => `ingest:${asin}:${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;

/**
 * partMsgId from the reviews' JSON texts that planning measured anyway: the
 * same text as JSON.stringify([asin, product, reviews]), without serialising
 * the part a second time (bench:gateway: planning and hashing were a third of
 * an upload's CPU, serialisation most of it).
 */
function partMsgIdOfJson(asin: string, product: IngestProduct | undefined, reviewJson: readonly string[]): string {
  return msgIdOfText(asin, `[${JSON.stringify(asin)},${JSON.stringify(product ?? null)},[${reviewJson.join(',')}]]`);
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
  const groups: { reviews: ReviewInput[]; json: string[]; bytes: number }[] = [];
  let current: (typeof groups)[number] | undefined;
  for (const r of reviews) {
    const json = JSON.stringify(r);
    const size = Buffer.byteLength(json);
    // +1 for the comma between array elements.
    const full = current && (current.reviews.length >= limits.maxReviews || current.bytes + 1 + size > limits.maxBytes);
    if (!current || full) {
      current = { reviews: [], json: [], bytes: envelope };
      groups.push(current);
    }
    current.bytes += (current.reviews.length > 0 ? 1 : 0) + size;
    current.reviews.push(r);
    current.json.push(json);
  }
  return groups.map((g) => ({ reviews: g.reviews, bytes: g.bytes, msgId: partMsgIdOfJson(asin, product, g.json) }));
}
