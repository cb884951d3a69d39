/**
 * The payload of each queue: zod schemas (validated on publish AND on
 * receive) and the TypeScript types inferred from them. Unknown fields are
 * stripped rather than rejected, so a newer publisher does not poison an
 * older consumer during a rolling deploy.
 */
import { z } from 'zod';
import type { QueueName } from './queues';

const asin = z.string().min(1).max(64);
const id = z.string().min(1).max(200);

export const ReviewInputSchema = z.object({
  reviewId: id,
  rating: z.number().int().min(1).max(5),
  body: z.string(),
  title: z.string().optional(),
  author: z.string().optional(),
  /** As the plug-in sent it (ISO date or the marketplace's text); parsed by ingest-svc. */
  date: z.string().optional(),
  helpfulVotes: z.number().int().min(0).optional(),
  verified: z.boolean().optional(),
});
export type ReviewInput = z.infer<typeof ReviewInputSchema>;

export const IngestJobSchema = z
  .object({
    uploadId: id,
    asin,
    marketplace: z.string().min(1).optional(),
    product: z
      .object({
        title: z.string().optional(),
        bulletPoints: z.array(z.string()).optional(),
      })
      .optional(),
    reviews: z.array(ReviewInputSchema),
    /** An upload too large for one message is split: part i (1-based) of parts. */
    part: z.number().int().min(1).optional(),
    parts: z.number().int().min(1).optional(),
  })
  .refine((j) => j.part === undefined || j.parts === undefined || j.part <= j.parts, {
    message: 'part must not exceed parts',
    path: ['part'],
  });
export type IngestJob = z.infer<typeof IngestJobSchema>;

export const REVIEW_CATEGORIES = ['vip', 'standard', 'short'] as const;
export type ReviewCategory = (typeof REVIEW_CATEGORIES)[number];

export const TranslateJobSchema = z.discriminatedUnion('kind', [
  z.object({
    asin,
    kind: z.literal('reviews'),
    category: z.enum(REVIEW_CATEGORIES),
    reviewIds: z.array(id).min(1),
  }),
  z.object({ asin, kind: z.literal('bullets') }),
]);
export type TranslateJob = z.infer<typeof TranslateJobSchema>;

export const LEARNING_REASONS = ['new', 'manual', 'grown', 'quiet', 'sweeper', 'retry'] as const;
export type LearningReason = (typeof LEARNING_REASONS)[number];

export const LearningJobSchema = z.object({
  jobId: id,
  asin,
  reason: z.enum(LEARNING_REASONS),
});
export type LearningJob = z.infer<typeof LearningJobSchema>;

/** Insight and theme work: reviews of one product, against one learned version of it. */
const AnalysisJobSchema = z.object({
  asin,
  reviewIds: z.array(id).min(1),
  learningVersion: z.number().int().min(0),
});
export const InsightJobSchema = AnalysisJobSchema;
export type InsightJob = z.infer<typeof InsightJobSchema>;
export const ThemeJobSchema = AnalysisJobSchema;
export type ThemeJob = z.infer<typeof ThemeJobSchema>;

export const ReportJobSchema = z.object({ reportId: id, asin });
export type ReportJob = z.infer<typeof ReportJobSchema>;

/** Queue → payload type, so `publish(js, 'TRANSLATE', job)` is type-checked. */
export interface Jobs {
  INGEST: IngestJob;
  TRANSLATE: TranslateJob;
  LEARNING: LearningJob;
  INSIGHT: InsightJob;
  THEME: ThemeJob;
  REPORT: ReportJob;
}
export type JobOf<Q extends QueueName> = Jobs[Q];

export const JOB_SCHEMAS: { readonly [Q in QueueName]: z.ZodType<Jobs[Q]> } = {
  INGEST: IngestJobSchema,
  TRANSLATE: TranslateJobSchema,
  LEARNING: LearningJobSchema,
  INSIGHT: InsightJobSchema,
  THEME: ThemeJobSchema,
  REPORT: ReportJobSchema,
};

export type DecodeResult<Q extends QueueName> =
  | { ok: true; job: JobOf<Q> }
  | { ok: false; error: string };

/** Validates a job for `queue`; the error lists every bad field. */
export function validateJob<Q extends QueueName>(queue: Q, value: unknown): DecodeResult<Q> {
  const r = JOB_SCHEMAS[queue].safeParse(value);
  return r.success
    ? { ok: true, job: r.data }
    : { ok: false, error: `invalid ${queue} job: ${z.prettifyError(r.error).replace(/\n/g, '; ')}` };
}

/** Decodes a message body (UTF-8 JSON) into a validated job. */
export function decodeJob<Q extends QueueName>(queue: Q, data: Uint8Array): DecodeResult<Q> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch (e) {
    return { ok: false, error: `invalid ${queue} job: body is not JSON (${(e as Error).message})` };
  }
  return validateJob(queue, value);
}
