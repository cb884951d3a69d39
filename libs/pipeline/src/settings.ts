import { z } from 'zod';
import { env, loadConfig, type ServiceName } from '@voc/config';

/** The pipeline's tunables (all by environment; defaults from the seeds where they say). */
export const pipelineEnv = {
  /** A product is first learned once it has this many reviews… */
  LEARN_MIN_REVIEWS: env.int(20, 1),
  /** …or, with fewer, once its uploads have been quiet this long (the sweeper checks). */
  LEARN_QUIET_MS: env.int(30_000, 0),
  /** Reviews (VIP first) shown to the model when learning a product. */
  LEARN_SAMPLE_SIZE: env.int(40, 1, 500),
  /** A failed learning run is retried by itself after this long, doubling per failure in a row… */
  LEARN_RETRY_BASE_MS: env.int(30_000, 1),
  /** …up to this long. */
  LEARN_RETRY_MAX_MS: env.int(3_600_000, 1),
  /** Translation attempts of a product's bullet points before they are marked failed. */
  BULLETS_MAX_ATTEMPTS: env.int(3, 1, 100),
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

/** The sweeper's settings (it runs in ingest-svc). */
export const sweeperEnv = {
  SWEEP_INTERVAL_MS: env.int(15_000, 1000),
  SWEEP_STALE_MS: env.int(60_000, 1000),
  SWEEP_HARD_STALE_MS: env.int(30 * 60_000, 1000),
  SWEEPER_ENABLED: env.bool(true),
};

/** Settings of the analysis services; their defaults are in SERVICES (@voc/config), per host role. */
const analysisEnv = {
  /** Pull LEARNING when the own queue is empty. */
  LEARNING_BACKUP: env.bool(),
};

/**
 * The settings each worker service reads on top of the worker's own (one
 * place for main.ts and for the deployment doctor, which validates a
 * host's environment with them).
 */
export const SERVICE_SETTINGS = {
  'ingest-svc': { ...pipelineEnv, ...sweeperEnv },
  'translate-svc': pipelineEnv,
  'learning-svc': pipelineEnv,
  /** LLM calls one INSIGHT message may have in flight. */
  'insight-svc': { ...pipelineEnv, ...analysisEnv, INSIGHT_PARALLEL_SIZE: env.int(undefined, 1, 1000) },
  /** LLM calls one THEME message may have in flight. */
  'theme-svc': { ...pipelineEnv, ...analysisEnv, THEME_PARALLEL_SIZE: env.int(undefined, 1, 1000) },
  'report-svc': pipelineEnv,
} as const satisfies Partial<Record<ServiceName, z.ZodRawShape>>;

export type WorkerServiceName = keyof typeof SERVICE_SETTINGS;
