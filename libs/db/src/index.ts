/**
 * @voc/db: the pipeline's PostgreSQL data layer (Prisma 7).
 *
 * Everything a service needs comes from here: `createDbClient`, the
 * `PrismaClient` type, the `Prisma` namespace (input types, error classes,
 * `Prisma.DbNull`, …), the model types (`Product`, `Review`, …) and the enums
 * (`StageStatus`, `FiveW`, …, values and types). Migrations are in
 * `@voc/db/migrate`, which this module never loads. The JSON columns are read
 * with the zod-checked readers of json-columns.ts.
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
export * from './generated/prisma/client';
