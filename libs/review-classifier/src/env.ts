import { z } from 'zod';
import { env, loadConfig } from '@voc/config';
import { configProblems, resolveClassifierConfig, type ClassifierConfig, type ConfigProblem } from './config';

/** Environment variable behind each config field, so errors name what to fix. */
const VARIABLE: Record<ConfigProblem['field'], string> = {
  vipLength: 'CLASSIFIER_VIP_LENGTH',
  vipExtremeRatingLength: 'CLASSIFIER_VIP_EXTREME_LENGTH',
  extremeRatings: 'CLASSIFIER_EXTREME_RATINGS',
  shortMaxLength: 'CLASSIFIER_SHORT_MAX_LENGTH',
  'batchSize.vip': 'CLASSIFIER_BATCH_VIP',
  'batchSize.standard': 'CLASSIFIER_BATCH_STANDARD',
  'batchSize.short': 'CLASSIFIER_BATCH_SHORT',
  maxBatchChars: 'CLASSIFIER_MAX_BATCH_CHARS',
};

const fields = z.object({
  CLASSIFIER_VIP_LENGTH: env.int(200),
  CLASSIFIER_VIP_EXTREME_LENGTH: env.int(100),
  CLASSIFIER_EXTREME_RATINGS: env.list('1,5').pipe(z.array(z.coerce.number<string>().int().min(1).max(5))),
  CLASSIFIER_SHORT_MAX_LENGTH: env.int(50),
  CLASSIFIER_BATCH_VIP: env.int(1, 1),
  CLASSIFIER_BATCH_STANDARD: env.int(5, 1),
  CLASSIFIER_BATCH_SHORT: env.int(20, 1),
  // Unset means no budget: the seed's behaviour.
  CLASSIFIER_MAX_BATCH_CHARS: z.coerce.number().int().min(1).optional(),
});

function toConfig(e: z.infer<typeof fields>): ClassifierConfig {
  return {
    vipLength: e.CLASSIFIER_VIP_LENGTH,
    vipExtremeRatingLength: e.CLASSIFIER_VIP_EXTREME_LENGTH,
    extremeRatings: e.CLASSIFIER_EXTREME_RATINGS,
    shortMaxLength: e.CLASSIFIER_SHORT_MAX_LENGTH,
    batchSize: {
      vip: e.CLASSIFIER_BATCH_VIP,
      standard: e.CLASSIFIER_BATCH_STANDARD,
      short: e.CLASSIFIER_BATCH_SHORT,
    },
    maxBatchChars: e.CLASSIFIER_MAX_BATCH_CHARS ?? Infinity,
  };
}

// Coherence across variables (e.g. short max < vip length), reported against
// the variable at fault. Skipped while any field is itself invalid, so one bad
// value is not reported twice.
const schema = fields.superRefine(
  (e, ctx) => {
    for (const p of configProblems(toConfig(e), (field) => VARIABLE[field])) {
      ctx.addIssue({ code: 'custom', path: [VARIABLE[p.field]], message: p.message });
    }
  },
  { when: (payload) => payload.issues.length === 0 },
);

/**
 * Reads the classifier's thresholds from CLASSIFIER_* variables (defaults:
 * seed 001). Fails fast with a ConfigError naming every bad variable.
 */
export function classifierConfigFromEnv(environment: NodeJS.ProcessEnv = process.env): ClassifierConfig {
  // Already validated by the schema; resolving freezes it for cheap reuse.
  return resolveClassifierConfig(toConfig(loadConfig('review-classifier', schema, environment)));
}
