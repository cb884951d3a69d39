import { Router } from 'express';
import { reportContentOf } from '@voc/db';
import { renderReportHtml } from '@voc/pipeline';
import type { GatewayDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { UUID } from './params';

/** The rendered report is self-contained (inline CSS and SVG, no scripts): forbid everything else. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** GET /v1/reports/:id — status and content as JSON, or the page itself for `Accept: text/html`. */
export function reportRoutes(deps: GatewayDeps): Router {
  const router = Router();

  router.get('/v1/reports/:id', async (req, res) => {
    const id = req.params.id as string;
    if (!UUID.test(id)) {
      throw new ApiError('invalid_report_id', 'a report id is the UUID returned by POST /v1/products/:asin/reports', [
        { field: 'id', message: 'expected a UUID' },
      ]);
    }
    const report = await deps.db.report.findUnique({ where: { id } });
    if (!report) throw notFound(`report ${id}`);
    const content = reportContentOf(report);
    res.vary('Accept');
    // JSON first: `*/*` (curl, fetch) gets JSON; a browser asking for text/html gets the page.
    if (report.status === 'ready' && content && req.accepts(['application/json', 'text/html']) === 'text/html') {
      res.set('Content-Security-Policy', REPORT_CSP).type('html').send(renderReportHtml(content));
      return;
    }
    res.json({
      id: report.id,
      asin: report.asin,
      status: report.status,
      createdAt: report.createdAt.toISOString(),
      readyAt: report.readyAt?.toISOString() ?? null,
      ...(report.status === 'ready' ? { report: content } : {}),
      ...(report.status === 'failed' ? { error: report.error ?? 'unknown error' } : {}),
    });
  });

  return router;
}
