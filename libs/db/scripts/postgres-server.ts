import { startTestStack } from '@voc/local-stack';

/**
 * Diffing replays the migrations on a temporary shadow database, so it needs
 * a PostgreSQL server: the one of DATABASE_URL when set (the shadow database
 * is created and dropped there; nothing else is touched), else a throwaway
 * local one, so `migrate:new` and `migrate:check` work with no database set up.
 */
export async function withPostgresServer<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL;
  if (url) return fn(url);
  const stack = await startTestStack({ postgres: true });
  try {
    return await fn(stack.databaseUrl);
  } finally {
    await stack.stop();
  }
}
