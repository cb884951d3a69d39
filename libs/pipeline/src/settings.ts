import { z } from 'zod';
import { env, loadConfig } from '@voc/config';

/** The pipeline's tunables (all by environment; defaults from the seeds where they say). */
export const pipelineEnv = {
  /** A product is first learned once it has this many reviews… */
  LEARN_MIN_REVIEWS: env.int(20, 1),
  /** …or, with fewer, once its uploads have been quiet this long (the sweeper checks). */
  LEARN_QUIET_MS: env.int(30_000, 0),
  /** Reviews (VIP first) shown to the model when learning a product. */
  LEARN_SAMPLE_SIZE: env.int(40, 1, 500),
  /** Relearn when the product has grown to this multiple of the reviews it was learned from… */
  RELEARN_GROWTH_FACTOR: env.num(2, 1),
  /** …and by at least this many reviews. */
  RELEARN_MIN_NEW_REVIEWS: env.int(50, 1),
  /** Reviews per INSIGHT / THEME message. */
  ANALYSIS_CHUNK_SIZE: env.int(100, 1, 1000),
  /** Reviews whose results are written in one transaction (seed 001: 20). */
  WRITE_BATCH_SIZE: env.int(20, 1, 1000),
  /** Label map cache lifetime in Redis (seed 001: 1 hour). */
  LABEL_CACHE_TTL_S: env.int(3600, 1),
};

export const pipelineSchema = z.object(pipelineEnv);
export type PipelineSettings = z.infer<typeof pipelineSchema>;

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = pipelineSchema.parse({});

export function pipelineSettingsFromEnv(e: NodeJS.ProcessEnv = process.env): PipelineSettings {
  return loadConfig('pipeline', pipelineSchema, e);
}
