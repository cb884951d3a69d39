/**
 * @voc/db: the pipeline's PostgreSQL data layer (Prisma 7).
 *
 * Everything a service needs comes from here: `createDbClient`, the
 * `PrismaClient` type, the `Prisma` namespace (input types, error classes,
 * `Prisma.DbNull`, …), the model types (`Product`, `Review`, …) and the enums
 * (`StageStatus`, `FiveW`, …, values and types). Migrations are in
 * `@voc/db/migrate`, which this module never loads. The JSON columns are read
 * with the zod-checked readers of json-columns.ts. What the columns can
 * store (lengths, integer ranges, `storable`) is limits.ts, also loadable
 * alone as `@voc/db/limits`.
 */
export { createDbClient, type DbClientOptions, type DbLogger } from './client';
export {
  bulletPointsOf,
  bulletPointsZhOf,
  reportContentOf,
  llmUsageSummarySchema,
  reportContentSchema,
  StoredJsonError,
  type DimensionSummary,
  type LabelShare,
  type LlmUsageSummary,
  type ReportContent,
} from './json-columns';
export { isDatabaseUnavailable, isUnstorableValue, pgErrorCode } from './errors';
export {
  COLUMN_LIMITS,
  INT4,
  escapeUnstorable,
  intProblem,
  productProblems,
  reviewProblems,
  storable,
  textProblem,
  type FieldProblem,
  type IntLimit,
  type ProductFields,
  type ReviewFields,
  type TextLimit,
} from './limits';
export * from './generated/prisma/client';
