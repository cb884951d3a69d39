import { Router } from 'express';
import { uploadStatus, type UploadStatus } from '@voc/pipeline';
import { keyOf } from '../auth';
import type { GatewayDeps } from '../deps';
import { ApiError, notFound, requestLog, unavailable } from '../errors';
import { enqueueUpload } from '../ingest/enqueue-upload';
import type { UploadRecord } from '../ingest/upload-records';
import { UPLOAD_PHASES } from '../metrics';
import { phaseTimer } from '../middleware/phase-timer';
import { validateUpload } from '../validation';
import { limited } from './limited';
import { asinOf, asinParam, UUID } from './params';

/**
 * POST /v1/products/:asin/reviews — validate the whole upload, count it
 * against the key's daily quota, publish it to INGEST, answer 202 once
 * JetStream acknowledged every part (seed 004: the API only enqueues;
 * ingest-svc stores). GET /v1/uploads/:uploadId — that upload's progress.
 */
/**
 * The status of an upload whose record is still buffered: what the buffer
 * knows of it (key, reviews, parts), with what ingest has stored meanwhile
 * (`stored`, read without the record: undefined when nothing is stored yet
 * or PostgreSQL is unreachable, which must not fail a status that needs
 * only the buffer).
 */
function bufferedStatus(r: UploadRecord, stored: UploadStatus | undefined) {
  const accepted = acceptedOnly(r);
  if (!stored) return accepted;
  return {
    ...accepted,
    parts: { ...accepted.parts, stored: stored.parts.stored },
    stored: stored.stored,
    duplicates: stored.duplicates,
    rejected: stored.rejected,
    stages: stored.stages,
    complete: stored.complete && stored.parts.stored >= r.newParts.length,
  };
}

/** An upload accepted, nothing stored yet. */
function acceptedOnly(r: UploadRecord) {
  return {
    uploadId: r.id,
    asin: r.asin,
    keyId: r.keyId,
    createdAt: r.createdAt.toISOString(),
    reviews: r.reviews,
    parts: { total: r.parts, duplicate: r.parts - r.newParts.length, stored: 0 },
    stored: 0,
    duplicates: 0,
    rejected: 0,
    stages: { translate: {}, insight: {}, theme: {} },
    complete: r.newParts.length === 0,
    webhook: { state: r.webhookState, attempts: 0, lastError: null },
  };
}

export function uploadRoutes(deps: GatewayDeps): Router {
  const router = Router();
  router.param('asin', asinParam);
  const { metrics } = deps;

  router.post('/v1/products/:asin/reviews', async (req, res) => {
    const timer = phaseTimer(res);
    const asin = asinOf(req);
    const key = keyOf(res);
    const upload = validateUpload(req.body);
    timer.mark('validate');
    // Known outage: refuse now rather than make the client wait out the PubAck timeout.
    if (!deps.nats.connected) throw unavailable('queue', deps.settings.retryAfterS);
    const n = upload.reviews.length;
    const quota = await deps.keyLimits.reserveReviews(key.id, n);
    if (!quota.allowed) {
      throw limited(metrics, key.id, 'quota_exceeded', quota.retryAfterS, `this upload of ${n} reviews would take the key over its ${deps.keyLimits.settings.reviewsPerDay} reviews per UTC day`);
    }
    let result;
    try {
      result = await enqueueUpload(deps.js, asin, upload, { limits: deps.settings.partLimits, timeoutMs: deps.settings.publishTimeoutMs, timer });
    } catch (err) {
      await deps.keyLimits.refundReviews(key.id, n);
      throw err;
    }
    deps.uploadRecords.add({
      id: result.uploadId,
      keyId: key.id,
      asin,
      reviews: result.accepted,
      parts: result.parts,
      newParts: result.newParts,
      webhookState: deps.webhooks.has(key.id) ? 'pending' : 'none',
      createdAt: new Date(),
    });
    for (const phase of UPLOAD_PHASES) {
      const s = timer.phases[phase];
      if (s !== undefined) metrics.uploadPhase.observe({ phase }, s);
    }
    metrics.reviewsAccepted.inc({ key: key.id }, result.accepted);
    metrics.partsPublished.inc({ result: 'stored' }, result.parts - result.duplicateParts);
    metrics.partsPublished.inc({ result: 'duplicate' }, result.duplicateParts);
    const { newParts: _internal, ...body } = result;
    requestLog(res, deps.log).info({ asin, ...body }, 'upload enqueued');
    res.status(202).location(`/v1/uploads/${result.uploadId}`).json(body);
  });

  router.get('/v1/uploads/:uploadId', async (req, res) => {
    const id = req.params.uploadId as string;
    if (!UUID.test(id)) throw new ApiError('invalid_upload_id', 'an upload id is the UUID returned with 202 by POST /v1/products/:asin/reviews', [{ field: 'uploadId', message: 'expected a UUID' }]);
    const key = keyOf(res);
    // Accepted by this replica a moment ago, its record not written yet (records are written in
    // batches): ingest may have stored its parts already.
    const buffered = deps.uploadRecords.pending(id.toLowerCase());
    if (buffered) {
      if (buffered.keyId !== key.id) throw notFound(`upload ${id}`);
      const stored = await uploadStatus(deps.db, id.toLowerCase()).catch(() => undefined);
      res.json(bufferedStatus(buffered, stored));
      return;
    }
    const status = await uploadStatus(deps.db, id.toLowerCase());
    // Another key's upload is not found either: ids are not secrets, uploads are.
    if (!status || (status.keyId !== null && status.keyId !== key.id)) throw notFound(`upload ${id}`);
    const gw = await deps.db.gatewayUpload.findUnique({ where: { id: status.uploadId }, select: { webhookState: true, webhookAttempts: true, webhookLastError: true } });
    res.json({ ...status, webhook: gw ? { state: gw.webhookState, attempts: gw.webhookAttempts, lastError: gw.webhookLastError } : null });
  });

  return router;
}
