import { CATEGORY_ORDER, type ReviewCategory } from './category';

/** Every threshold of the classifier; lengths are in Unicode code points. */
export interface ClassifierConfig {
  /** Longer than this → vip, whatever the rating. */
  readonly vipLength: number;
  /** Longer than this with an extreme rating → vip. */
  readonly vipExtremeRatingLength: number;
  /** Ratings that make a medium-length review vip. */
  readonly extremeRatings: readonly number[];
  /** At most this long (and not vip) → short. */
  readonly shortMaxLength: number;
  /** Most reviews per LLM call, per category. */
  readonly batchSize: Readonly<Record<ReviewCategory, number>>;
  /**
   * Most code points of review bodies per LLM call, so that a full batch of
   * long CJK "short" reviews cannot overflow a prompt. Infinity (the default)
   * disables it, keeping the seed's behaviour. A single review longer than the
   * budget still gets a batch of its own.
   */
  readonly maxBatchChars: number;
}

/** Overrides accepted by the API; `batchSize` may be given per category. */
export type ClassifierOverrides = Partial<Omit<ClassifierConfig, 'batchSize'>> & {
  readonly batchSize?: Partial<Record<ReviewCategory, number>>;
};

/** Seed 001's values. */
export const DEFAULT_CLASSIFIER_CONFIG: ClassifierConfig = Object.freeze({
  vipLength: 200,
  vipExtremeRatingLength: 100,
  extremeRatings: Object.freeze([1, 5]),
  shortMaxLength: 50,
  batchSize: Object.freeze({ short: 20, standard: 5, vip: 1 }),
  maxBatchChars: Infinity,
});

/** A problem with one field of a config, as found by {@link configProblems}. */
export interface ConfigProblem {
  readonly field: Exclude<keyof ClassifierConfig, 'batchSize'> | `batchSize.${ReviewCategory}`;
  readonly message: string;
}

const isCount = (n: number) => Number.isInteger(n) && n >= 0;

/**
 * Checks ranges and coherence of a complete config. Shared by the programmatic
 * API and the environment loader so both enforce the same rules; `name` says
 * how messages refer to another field (the env loader names variables).
 */
export function configProblems(
  c: ClassifierConfig,
  name: (field: ConfigProblem['field']) => string = (field) => field,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const field of ['vipLength', 'vipExtremeRatingLength', 'shortMaxLength'] as const) {
    if (!isCount(c[field])) problems.push({ field, message: `must be an integer ≥ 0, got ${c[field]}` });
  }
  for (const category of CATEGORY_ORDER) {
    const size = c.batchSize[category];
    if (!Number.isInteger(size) || size < 1) {
      problems.push({ field: `batchSize.${category}`, message: `must be an integer ≥ 1, got ${size}` });
    }
  }
  if (!c.extremeRatings.every(Number.isFinite)) {
    problems.push({ field: 'extremeRatings', message: `must be numbers, got [${c.extremeRatings.join(', ')}]` });
  }
  if (!(c.maxBatchChars === Infinity || (Number.isInteger(c.maxBatchChars) && c.maxBatchChars >= 1))) {
    problems.push({ field: 'maxBatchChars', message: `must be an integer ≥ 1 or Infinity, got ${c.maxBatchChars}` });
  }
  // Incoherent thresholds are almost always typos: with short max ≥ vip length
  // no review could be standard; with the extreme-rating length above the vip
  // length the extreme-rating rule could never change an outcome.
  if (c.shortMaxLength >= c.vipLength) {
    problems.push({
      field: 'shortMaxLength',
      message: `must be less than ${name('vipLength')} (${c.vipLength}), got ${c.shortMaxLength}`,
    });
  }
  if (c.vipExtremeRatingLength > c.vipLength) {
    problems.push({
      field: 'vipExtremeRatingLength',
      message: `must not exceed ${name('vipLength')} (${c.vipLength}), got ${c.vipExtremeRatingLength}`,
    });
  }
  return problems;
}

// `{ vipLength: undefined }` means "not overridden", not "no threshold".
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// Configs this module built and validated; they are frozen, so passing one
// back (e.g. to classify per review) skips the merge and validation.
const validated = new WeakSet<object>([DEFAULT_CLASSIFIER_CONFIG]);

/**
 * Merges overrides over the defaults and validates the result, which is frozen.
 * @throws RangeError listing every problem.
 */
export function resolveClassifierConfig(overrides?: ClassifierOverrides): ClassifierConfig {
  if (overrides === undefined) return DEFAULT_CLASSIFIER_CONFIG;
  if (validated.has(overrides)) return overrides as ClassifierConfig;
  const config: ClassifierConfig = Object.freeze({
    ...DEFAULT_CLASSIFIER_CONFIG,
    ...definedOnly(overrides),
    extremeRatings: Object.freeze([...(overrides.extremeRatings ?? DEFAULT_CLASSIFIER_CONFIG.extremeRatings)]),
    batchSize: Object.freeze({ ...DEFAULT_CLASSIFIER_CONFIG.batchSize, ...definedOnly(overrides.batchSize ?? {}) }),
  });
  const problems = configProblems(config);
  if (problems.length > 0) {
    throw new RangeError(
      `invalid classifier config: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    );
  }
  validated.add(config);
  return config;
}
