// Prisma 7 CLI configuration (used by `prisma generate`). Migrations do not go
// through the CLI here: see scripts/ and README.md for why.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Only migration commands read the URL; `generate` works without it.
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
