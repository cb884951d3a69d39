/**
 * The VIP lane (seed 001 "worker-vip"): learn a product's analysis
 * dimensions and 5W labels from a sample of its reviews, store them as a new
 * learning version, refresh the label cache, then release the product's
 * waiting insight and theme work. learning-svc runs it, and insight-svc and
 * theme-svc run it too when their own queues are empty (the backup lane).
 *
 * Failures never leave a product stuck: its own failure (malformed answers,
 * nothing left to sample) marks it `failed` with a retry time (lifecycle:
 * backoff), the message is done; a provider that is down is the runner's to
 * hold. A provider refusing the prompt (400) is narrowed down: first without
 * the listing's text, then by halving the sample, and the reviews it refuses
 * alone are marked refused and left out, then and in every later sample.
 */
import { bulletPointsOf } from '@voc/db';
import { learnProduct } from '@voc/llm';
import type { LearnedModel } from '@voc/prompts';
import { PermanentError, type LearningJob } from '@voc/messaging';
import { retrying, type StageContext } from './context';
import { needLlm, type PipelineDeps } from './deps';
import { FIVE_W } from './domain';
import { errorText } from './failures';
import { releaseAnalysis } from './handover';
import { cacheLabelMap, loadLabelMap } from './label-cache';
import { analysisVersion, beginLearning, completeLearning, failLearning } from './lifecycle';
import { dependencyOf, isRefusal } from './outage';

/** Keeps one long review from crowding the others out of the learning prompt. */
const SAMPLE_REVIEW_MAX_CHARS = 1500;

export interface LearningResult {
  skipped?: 'done';
  learningVersion?: number;
  dimensions?: number;
  labels?: number;
  released?: { insight: number; theme: number };
  /** Set when the run failed on its own: when it is retried. */
  failed?: { error: string; retryAt: Date };
  /** Sample reviews the provider refused, left out. */
  refused?: string[];
}

interface SampleReview {
  id: number;
  reviewId: string;
  text: string;
}

export async function handleLearning(deps: PipelineDeps, job: LearningJob, ctx: StageContext): Promise<LearningResult> {
  const { db } = deps;
  const llm = needLlm(deps, 'learning');
  const product = await db.product.findUnique({ where: { asin: job.asin } });
  if (!product) throw new PermanentError(`learning job ${job.jobId}: unknown product ${job.asin}`);
  if ((await beginLearning(db, job)) === 'skip') return { skipped: 'done' };

  // Favour the informative reviews: VIP first (the enum orders vip < standard < short), then helpful, then long.
  const rows = await db.review.findMany({
    where: { asin: job.asin, refusedReason: null },
    orderBy: [{ category: 'asc' }, { helpfulVotes: 'desc' }, { bodyLength: 'desc' }, { id: 'asc' }],
    take: deps.settings.LEARN_SAMPLE_SIZE,
    select: { id: true, reviewId: true, body: true },
  });
  const sample: SampleReview[] = rows.map((r) => ({ id: r.id, reviewId: r.reviewId, text: [...r.body].slice(0, SAMPLE_REVIEW_MAX_CHARS).join('') }));
  const listing = { ...(product.title ? { title: product.title } : {}), bulletPoints: bulletPointsOf(product) };
  const learn = (reviews: SampleReview[], withListing: boolean) =>
    learnProduct(llm, {
      asin: job.asin,
      ...(withListing ? listing : {}),
      sampleReviews: reviews.map((r) => r.text),
      signal: ctx.signal,
    });

  let model: LearnedModel;
  let refused: SampleReview[] = [];
  try {
    if (sample.length === 0) throw new Error(`no reviews to learn from (${product.reviewCount} stored, all refused by the provider or none yet)`);
    try {
      model = await learn(sample, true);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      ({ model, refused } = await learnAroundRefusals(deps, job.asin, sample, learn, err));
    }
  } catch (err) {
    if (dependencyOf(err)) throw err; // the runner holds the message until the provider or the database is back
    const error = errorText(err);
    const retryAt = await failLearning(db, job, error, deps.settings);
    deps.log.warn({ asin: job.asin, jobId: job.jobId, error, retryAt }, 'learning failed; it retries by itself');
    // A relearn that failed keeps serving the previous model: release what waited for the new one.
    const current = await db.product.findUnique({ where: { asin: job.asin } });
    const version = current ? analysisVersion(current) : undefined;
    const released = version !== undefined ? await releaseAnalysis(deps, job.asin, version) : undefined;
    return { failed: { error, retryAt }, refused: refused.map((r) => r.reviewId), ...(released ? { released } : {}) };
  }

  // The model is paid for: a database outage while storing it waits instead of throwing it away.
  const version = await retrying(ctx, () => storeModel(deps, job, model));

  if (deps.redis) await cacheLabelMap(deps.redis, await loadLabelMap(db, job.asin, version), deps.settings.LABEL_CACHE_TTL_S);
  const released = await releaseAnalysis(deps, job.asin, version);
  const labels = FIVE_W.reduce((n, w) => n + model.labels[w].length, 0);
  deps.log.info(
    { asin: job.asin, jobId: job.jobId, reason: job.reason, learningVersion: version, dimensions: model.dimensions.length, labels, released, refused: refused.length },
    'product learned',
  );
  return { learningVersion: version, dimensions: model.dimensions.length, labels, released, refused: refused.map((r) => r.reviewId) };
}

/**
 * The provider refused the learning prompt. Try without the listing's title
 * and bullet points; if still refused, halve the sample until the reviews it
 * refuses alone are found, mark them refused, and learn from the rest.
 */
async function learnAroundRefusals(
  deps: PipelineDeps,
  asin: string,
  sample: SampleReview[],
  learn: (reviews: SampleReview[], withListing: boolean) => Promise<LearnedModel>,
  first: unknown,
): Promise<{ model: LearnedModel; refused: SampleReview[] }> {
  try {
    return { model: await learn(sample, false), refused: [] };
  } catch (err) {
    if (!isRefusal(err)) throw err;
  }
  const refused: SampleReview[] = [];
  const find = async (group: SampleReview[]): Promise<void> => {
    try {
      await learn(group, false);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      if (group.length === 1) {
        refused.push(group[0]!);
        return;
      }
      const mid = Math.ceil(group.length / 2);
      await find(group.slice(0, mid));
      await find(group.slice(mid));
    }
  };
  const mid = Math.ceil(sample.length / 2);
  await find(sample.slice(0, mid));
  await find(sample.slice(mid));
  if (refused.length > 0) {
    await deps.db.review.updateMany({
      where: { id: { in: refused.map((r) => r.id) } },
      data: { refusedReason: `learning prompt refused by the provider: ${errorText(first)}` },
    });
    deps.log.warn({ asin, reviewIds: refused.map((r) => r.reviewId) }, 'sample reviews refused by the provider: left out of learning');
  }
  const rest = sample.filter((r) => !refused.includes(r));
  if (rest.length === 0) throw new Error(`every sample review was refused by the provider: ${errorText(first)}`);
  return { model: await learn(rest, false), refused };
}

/** Stores the model as the product's next learning version, and marks the product learned (one transaction). */
async function storeModel(deps: PipelineDeps, job: LearningJob, model: LearnedModel): Promise<number> {
  return deps.db.$transaction(async (tx) => {
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
    await completeLearning(tx, job, { version: v, reviewCount: p.reviewCount });
    return v;
  });
}
