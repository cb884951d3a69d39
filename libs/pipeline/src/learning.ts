/**
 * The VIP lane (seed 001 "worker-vip"): learn a product's analysis
 * dimensions and 5W labels from a sample of its reviews, store them as a new
 * learning version, refresh the label cache, then release the product's
 * waiting insight and theme work. learning-svc runs it, and insight-svc and
 * theme-svc run it too when their own queues are empty (the backup lane).
 */
import { bulletPointsOf } from '@voc/db';
import { learnProduct } from '@voc/llm';
import { PermanentError, type HandlerContext, type LearningJob } from '@voc/messaging';
import { needLlm, type PipelineDeps } from './deps';
import { FIVE_W } from './domain';
import { handleStageFailure } from './failures';
import { cacheLabelMap, loadLabelMap } from './label-cache';
import { releaseAnalysis } from './handover';

/** Keeps one long review from crowding the others out of the learning prompt. */
const SAMPLE_REVIEW_MAX_CHARS = 1500;

export interface LearningResult {
  skipped?: 'done';
  learningVersion?: number;
  dimensions?: number;
  labels?: number;
  released?: { insight: number; theme: number };
}

export async function handleLearning(
  deps: PipelineDeps,
  job: LearningJob,
  ctx: Pick<HandlerContext, 'signal' | 'isLastDelivery'>,
): Promise<LearningResult> {
  const { db } = deps;
  const llm = needLlm(deps, 'learning');
  const product = await db.product.findUnique({ where: { asin: job.asin } });
  if (!product) throw new PermanentError(`learning job ${job.jobId}: unknown product ${job.asin}`);
  const row = await db.learningJob.upsert({
    where: { id: job.jobId },
    create: { id: job.jobId, asin: job.asin, reason: job.reason },
    update: {},
  });
  if (row.status === 'done') return { skipped: 'done' };
  await db.learningJob.update({ where: { id: job.jobId }, data: { status: 'running', attempts: { increment: 1 }, startedAt: new Date() } });
  await db.product.update({ where: { asin: job.asin }, data: { learningState: 'learning' } });

  // Favour the informative reviews: VIP first (the enum orders vip < standard < short), then helpful, then long.
  const sample = await db.review.findMany({
    where: { asin: job.asin },
    orderBy: [{ category: 'asc' }, { helpfulVotes: 'desc' }, { bodyLength: 'desc' }, { id: 'asc' }],
    take: deps.settings.LEARN_SAMPLE_SIZE,
    select: { body: true },
  });
  let model;
  try {
    model = await learnProduct(llm, {
      asin: job.asin,
      ...(product.title ? { title: product.title } : {}),
      bulletPoints: bulletPointsOf(product),
      sampleReviews: sample.map((r) => [...r.body].slice(0, SAMPLE_REVIEW_MAX_CHARS).join('')),
      signal: ctx.signal,
    });
  } catch (err) {
    await handleStageFailure(err, ctx, async (message) => {
      await db.learningJob.update({ where: { id: job.jobId }, data: { status: 'failed', error: message, finishedAt: new Date() } });
      await db.product.updateMany({ where: { asin: job.asin, learningState: 'learning' }, data: { learningState: 'failed' } });
    });
    throw err;
  }

  const version = await db.$transaction(async (tx) => {
    // The version comes from an atomic increment: two jobs for one product can never share one.
    const p = await tx.product.update({ where: { asin: job.asin }, data: { learningVersion: { increment: 1 } } });
    const v = p.learningVersion;
    for (const d of model.dimensions) {
      await tx.dimension.upsert({
        where: { asin_name: { asin: job.asin, name: d.name } },
        create: { asin: job.asin, name: d.name, description: d.description, learningVersion: v },
        update: { description: d.description, learningVersion: v },
      });
    }
    for (const category of FIVE_W) {
      for (const l of model.labels[category]) {
        await tx.label.upsert({
          where: { asin_category_name: { asin: job.asin, category, name: l.name } },
          create: { asin: job.asin, category, name: l.name, description: l.description, learningVersion: v },
          update: { description: l.description, learningVersion: v },
        });
      }
    }
    await tx.product.update({
      where: { asin: job.asin },
      data: { learningState: 'learned', learnedAt: new Date(), learnedReviewCount: p.reviewCount },
    });
    await tx.learningJob.update({
      where: { id: job.jobId },
      data: { status: 'done', learningVersion: v, finishedAt: new Date(), error: null },
    });
    return v;
  });

  if (deps.redis) await cacheLabelMap(deps.redis, await loadLabelMap(db, job.asin, version), deps.settings.LABEL_CACHE_TTL_S);
  const released = await releaseAnalysis(deps, job.asin, version);
  const labels = FIVE_W.reduce((n, w) => n + model.labels[w].length, 0);
  deps.log.info({ asin: job.asin, jobId: job.jobId, reason: job.reason, learningVersion: version, dimensions: model.dimensions.length, labels, released }, 'product learned');
  return { learningVersion: version, dimensions: model.dimensions.length, labels, released };
}
