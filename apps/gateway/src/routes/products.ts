import { Router } from 'express';
import { productStatus, requestReport, reusableReport, type ListReviewsOptions, type PipelineDeps } from '@voc/pipeline';
import { keyOf } from '../auth';
import type { GatewayDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { learnProduct, reviewsPage } from '../pipeline-calls';
import { limited } from './limited';
import { asinOf, asinParam, queryParam } from './params';

export const REVIEW_PAGE = { defaultLimit: 50, maxLimit: 200 } as const;

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return REVIEW_PAGE.defaultLimit;
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= REVIEW_PAGE.maxLimit)) {
    throw new ApiError('invalid_query', `limit must be a whole number from 1 to ${REVIEW_PAGE.maxLimit}`, [
      { field: 'limit', message: `expected 1–${REVIEW_PAGE.maxLimit}, got ${JSON.stringify(raw.slice(0, 20))}` },
    ]);
  }
  return n;
}

/**
 * A product's status and reviews, and the work a client may ask for. The
 * expensive actions are idempotent: a learn request while a job is queued or
 * running gets that job, a report request while the product's data is
 * unchanged gets the last report; only new work is subject to the key's
 * cooldown per product (429 `cooldown` with Retry-After).
 */
export function productRoutes(deps: GatewayDeps): Router {
  const router = Router();
  router.param('asin', asinParam);
  const pipeline: PipelineDeps = { db: deps.db, js: deps.js, log: deps.log, settings: deps.pipelineSettings };
  const productExists = async (asin: string) => (await deps.db.product.findUnique({ where: { asin }, select: { asin: true } })) !== null;
  const cooldown = async (keyId: string, action: 'learn' | 'report', asin: string) => {
    const d = await deps.keyLimits.cooldown(keyId, action, asin);
    if (!d.allowed) {
      throw limited(deps.metrics, keyId, 'cooldown', d.retryAfterS, `this key asked for a new ${action === 'learn' ? 'learning job' : 'report'} of ${asin} recently; retry after ${d.retryAfterS} s`);
    }
  };

  router.get('/v1/products/:asin', async (req, res) => {
    const asin = asinOf(req);
    const status = await productStatus(deps.db, asin);
    if (!status) throw notFound(`product ${asin}`);
    res.json(status);
  });

  router.get('/v1/products/:asin/reviews', async (req, res) => {
    const asin = asinOf(req);
    const limit = parseLimit(queryParam(req, 'limit'));
    const cursor = queryParam(req, 'cursor') || undefined;
    // One of REVIEW_LIST_STATUSES (done, in_progress, failed, rejected); the pipeline names them in a 400.
    const status = queryParam(req, 'status') as ListReviewsOptions['status'];
    if (!(await productExists(asin))) throw notFound(`product ${asin}`);
    res.json(await reviewsPage(deps.db, asin, { limit, ...(cursor ? { cursor } : {}), ...(status !== undefined ? { status } : {}) }));
  });

  router.post('/v1/products/:asin/learn', async (req, res) => {
    const asin = asinOf(req);
    const key = keyOf(res);
    const job = await learnProduct(pipeline, asin, () => cooldown(key.id, 'learn', asin));
    if (!job) {
      if (!(await productExists(asin))) throw notFound(`product ${asin}`);
      throw new ApiError('learning_not_queued', `learning of ${asin} cannot be queued in its current state`);
    }
    res.status(202).json(job);
  });

  router.post('/v1/products/:asin/reports', async (req, res) => {
    const asin = asinOf(req);
    const key = keyOf(res);
    if (!(await productExists(asin))) throw notFound(`product ${asin}`);
    let report = await reusableReport(deps.db, asin);
    if (!report) {
      await cooldown(key.id, 'report', asin);
      report = await requestReport(pipeline, asin);
      if (!report) throw notFound(`product ${asin}`);
    }
    res.status(202).location(`/v1/reports/${report.reportId}`).json(report);
  });

  return router;
}
