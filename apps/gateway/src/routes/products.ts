import { Router } from 'express';
import { InvalidCursorError, listReviews, productStatus, requestLearning, requestReport, type PipelineDeps } from '@voc/pipeline';
import type { GatewayDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { asinOf, asinParam, queryParam } from './params';

export const REVIEW_PAGE = { defaultLimit: 50, maxLimit: 200 } as const;

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return REVIEW_PAGE.defaultLimit;
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= REVIEW_PAGE.maxLimit)) {
    throw new ApiError(400, 'invalid_query', `limit must be a whole number from 1 to ${REVIEW_PAGE.maxLimit}`, [
      { field: 'limit', message: `expected 1–${REVIEW_PAGE.maxLimit}, got '${raw.slice(0, 20)}'` },
    ]);
  }
  return n;
}

/** A product's status and reviews, and the work a client may ask for: learning and reports. */
export function productRoutes(deps: GatewayDeps): Router {
  const router = Router();
  router.param('asin', asinParam);
  const pipeline: PipelineDeps = { db: deps.db, js: deps.js, log: deps.log, settings: deps.pipelineSettings };
  const productExists = async (asin: string) => (await deps.db.product.findUnique({ where: { asin }, select: { asin: true } })) !== null;

  router.get('/v1/products/:asin', async (req, res) => {
    const asin = asinOf(req);
    const status = await productStatus(deps.db, asin);
    if (!status) throw notFound(`product ${asin}`);
    res.json(status);
  });

  router.get('/v1/products/:asin/reviews', async (req, res) => {
    const asin = asinOf(req);
    const limit = parseLimit(queryParam(req, 'limit'));
    const cursor = queryParam(req, 'cursor');
    if (!(await productExists(asin))) throw notFound(`product ${asin}`);
    try {
      res.json(await listReviews(deps.db, asin, limit, cursor || undefined));
    } catch (err) {
      if (err instanceof InvalidCursorError) {
        throw new ApiError(400, 'invalid_cursor', 'cursor is not one this API returned', [{ field: 'cursor', message: err.message }]);
      }
      throw err;
    }
  });

  router.post('/v1/products/:asin/learn', async (req, res) => {
    const asin = asinOf(req);
    // 'manual' may (re)learn from any state, so "nothing queued" means the product is unknown…
    const queued = await requestLearning(pipeline, asin, 'manual');
    if (!queued) {
      if (!(await productExists(asin))) throw notFound(`product ${asin}`);
      // …unless the pipeline's rules change; then say so rather than pretend.
      throw new ApiError(409, 'learning_not_queued', `learning of ${asin} cannot be queued in its current state`);
    }
    res.status(202).json(queued);
  });

  router.post('/v1/products/:asin/reports', async (req, res) => {
    const asin = asinOf(req);
    if (!(await productExists(asin))) throw notFound(`product ${asin}`);
    const { reportId } = await requestReport(pipeline, asin);
    res.status(202).location(`/v1/reports/${reportId}`).json({ reportId });
  });

  return router;
}
