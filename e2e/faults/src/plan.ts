/**
 * The LLM calls a scenario's accepted work needs when nothing goes wrong,
 * predicted exactly as `e2e/test/pipeline.e2e.spec.ts` does: the classifier's
 * batches of each INGEST message's new reviews (ingest-svc plans each message
 * on its own), one batch call per product for its bullet points, one learning
 * call per product, and one insight and one theme call per review. Poison
 * reviews, which are never stored, need none.
 */
import { countBatches, type ClassifiableReview } from '@voc/review-classifier';

/** One INGEST message as the pipeline received it (a 202'd upload chunk, or a message published directly). */
export interface AcceptedMessage {
  asin: string;
  /** Its storable reviews (poison ones left out), with their reviewId. */
  reviews: (ClassifiableReview & { reviewId: string })[];
}

export interface PlannedCalls {
  translate: number;
  bullets: number;
  learning: number;
  insight: number;
  theme: number;
  total: number;
}

export function plannedCalls(messages: readonly AcceptedMessage[], productsWithBullets: ReadonlySet<string>): PlannedCalls {
  const seen = new Set<string>();
  const products = new Set<string>();
  let translate = 0;
  let reviews = 0;
  for (const m of messages) {
    // A review re-sent in a later message is a duplicate ingest skips: only new ones are planned.
    const fresh = m.reviews.filter((r) => {
      const key = `${m.asin}/${r.reviewId}`;
      if (seen.has(key) || !r.body.trim()) return false;
      seen.add(key);
      return true;
    });
    if (fresh.length === 0) continue;
    products.add(m.asin);
    translate += countBatches(fresh);
    reviews += fresh.length;
  }
  const bullets = [...productsWithBullets].filter((a) => products.has(a)).length;
  const learning = products.size;
  return { translate, bullets, learning, insight: reviews, theme: reviews, total: translate + bullets + learning + 2 * reviews };
}
