import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from 'nats';
import { publish } from '@voc/messaging';
import type { PhaseTimer } from '../middleware/phase-timer';
import type { ValidUpload } from '../validation';
import { planParts, toIngestProduct, toReviewInput, type PartLimits } from './parts';

export interface EnqueuedUpload {
  uploadId: string;
  /** Reviews accepted (all of them: an upload is accepted whole or not at all). */
  accepted: number;
  parts: number;
  /** Parts JetStream already held (same content inside its duplicate window): not stored again. */
  duplicateParts: number;
}

/**
 * Publishes a validated upload to INGEST and resolves once JetStream has
 * acknowledged every part. Parts are published concurrently; if any fails,
 * the error is thrown after all have settled (no publish outlives the
 * request), and the client's retry re-sends the same msgIds, so the parts
 * that did land are dropped as duplicates. Also returns the numbers of the
 * parts JetStream stored anew (the others were duplicates).
 */
export async function enqueueUpload(
  js: JetStreamClient,
  asin: string,
  upload: ValidUpload,
  opts: { limits: PartLimits; timeoutMs: number; timer?: PhaseTimer },
): Promise<EnqueuedUpload & { newParts: number[] }> {
  const uploadId = randomUUID();
  const product = toIngestProduct(upload.product);
  const plan = planParts(asin, product, upload.reviews.map(toReviewInput), opts.limits);
  opts.timer?.mark('plan');
  const settled = await Promise.allSettled(
    plan.map((p, i) =>
      publish(
        js,
        'INGEST',
        { uploadId, asin, ...(product ? { product } : {}), reviews: p.reviews, part: i + 1, parts: plan.length },
        { msgId: p.msgId, timeoutMs: opts.timeoutMs },
      ),
    ),
  );
  opts.timer?.mark('publish');
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const newParts = settled.flatMap((s, i) => (s.status === 'fulfilled' && !s.value.duplicate ? [i + 1] : []));
  return { uploadId, accepted: upload.reviews.length, parts: plan.length, duplicateParts: plan.length - newParts.length, newParts };
}
