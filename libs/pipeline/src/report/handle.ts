import type { HandlerContext, ReportJob } from '@voc/messaging';
import type { PipelineDeps } from '../deps';
import { handleStageFailure } from '../failures';
import { buildReport } from './build';

/** Builds and stores one report; a redelivered job for a ready report does nothing. */
export async function handleReport(deps: PipelineDeps, job: ReportJob, ctx: Pick<HandlerContext, 'isLastDelivery'>): Promise<'ready' | 'skipped'> {
  const { db } = deps;
  const report = await db.report.findUnique({ where: { id: job.reportId } });
  if (!report || report.status === 'ready') return 'skipped';
  await db.report.update({ where: { id: job.reportId }, data: { attempts: { increment: 1 } } });
  try {
    const content = await buildReport(db, job.asin);
    await db.report.update({
      where: { id: job.reportId },
      data: { status: 'ready', content, readyAt: new Date(), error: null },
    });
    deps.log.info({ reportId: job.reportId, asin: job.asin, reviews: content.reviews.total }, 'report ready');
    return 'ready';
  } catch (err) {
    await handleStageFailure(err, ctx, (message) =>
      db.report.update({ where: { id: job.reportId }, data: { status: 'failed', error: message } }).then(() => undefined),
    );
    throw err;
  }
}
