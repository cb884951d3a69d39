/**
 * Asking for a report. A report aggregates the whole product, so it is not
 * built again while nothing it is made of has changed: a request finds the
 * product's latest pending or ready report of the same data version and
 * returns it; only a changed product (new reviews, stage progress, a new
 * learning version, new bullet points) gets a new aggregation.
 */
import { createHash } from 'node:crypto';
import type { PrismaClient } from '@voc/db';
import { publish } from '@voc/messaging';
import type { PipelineDeps } from '../deps';

export interface RequestedReport {
  reportId: string;
  /** True when an existing report of unchanged data was returned instead of queuing a new one. */
  existing: boolean;
}

type Db = Pick<PrismaClient, '$queryRaw' | 'product' | 'report'>;

/**
 * What the product's report is made of, as one opaque string: its learning
 * version, title and bullet translation, and how many reviews are in each
 * combination of stage statuses (statuses only move forward, so equal counts
 * mean equal progress). Undefined for an unknown product.
 */
export async function reportDataVersion(db: Db, asin: string): Promise<string | undefined> {
  const product = await db.product.findUnique({
    where: { asin },
    select: { learningVersion: true, title: true, bulletsTranslateStatus: true, reviewCount: true },
  });
  if (!product) return undefined;
  const rows = await db.$queryRaw<{ t: string; i: string; th: string; n: number }[]>`
    SELECT translate_status::text AS t, insight_status::text AS i, theme_status::text AS th, count(*)::int AS n
    FROM reviews WHERE asin = ${asin} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  const digest = createHash('sha256').update(JSON.stringify([product, rows])).digest('base64url').slice(0, 22);
  return `v${product.learningVersion}:${digest}`;
}

/** The product's latest pending or ready report built from `dataVersion`, if any. */
async function reusable(db: Db, asin: string, dataVersion: string): Promise<string | undefined> {
  const r = await db.report.findFirst({
    where: { asin, dataVersion, status: { in: ['pending', 'ready'] } },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  });
  return r?.id;
}

/** An existing report of the product's current data (no new work), or undefined. */
export async function reusableReport(db: Db, asin: string): Promise<RequestedReport | undefined> {
  const version = await reportDataVersion(db, asin);
  const id = version && (await reusable(db, asin, version));
  return id ? { reportId: id, existing: true } : undefined;
}

/**
 * Queues a report unless one of unchanged data exists. The row exists before
 * the message, so GET /v1/reports/:id answers at once; a per-product
 * advisory lock makes concurrent requests for unchanged data share one report.
 * Undefined for an unknown product.
 */
export async function requestReport(deps: PipelineDeps, asin: string): Promise<RequestedReport | undefined> {
  const created = await deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`report:${asin}`}))`;
    const version = await reportDataVersion(tx, asin);
    if (version === undefined) return undefined;
    const id = await reusable(tx, asin, version);
    if (id) return { reportId: id, existing: true };
    const report = await tx.report.create({ data: { asin, queuedAt: new Date(), dataVersion: version } });
    return { reportId: report.id, existing: false };
  });
  if (!created || created.existing) return created;
  try {
    await publish(deps.js, 'REPORT', { reportId: created.reportId, asin }, { msgId: `report:${created.reportId}` });
  } catch (err) {
    // Nothing will build it: do not leave a report that stays pending forever.
    await deps.db.report.delete({ where: { id: created.reportId } }).catch((e: unknown) =>
      deps.log.error({ err: e, reportId: created.reportId }, 'could not remove a report that was never queued; the sweeper will queue it'),
    );
    throw err;
  }
  return created;
}
