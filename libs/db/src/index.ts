/**
 * @voc/db: the pipeline's PostgreSQL data layer (Prisma 7).
 *
 * Everything a service needs comes from here: `createDbClient`, the
 * `PrismaClient` type, the `Prisma` namespace (input types, error classes,
 * `Prisma.DbNull`, …), the model types (`Product`, `Review`, …) and the enums
 * (`StageStatus`, `FiveW`, …, values and types). Migrations are in
 * `@voc/db/migrate`, which this module never loads.
 */
export { createDbClient, type DbClientOptions, type DbLogger } from './client';
export * from './generated/prisma/client';
