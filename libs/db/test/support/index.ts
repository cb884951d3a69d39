import { Client } from 'pg';

/** Runs `fn` with a plain pg connection (what the tests check with, independent of Prisma). */
export async function withPg<T>(url: string, fn: (pg: Client) => Promise<T>): Promise<T> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    return await fn(pg);
  } finally {
    await pg.end();
  }
}

/** Creates an empty database next to the one of `url` and returns its URL. */
export async function createDatabase(url: string, name: string): Promise<string> {
  await withPg(url, (pg) => pg.query(`CREATE DATABASE "${name}"`));
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function tableNames(url: string): Promise<string[]> {
  return withPg(url, async (pg) => {
    const { rows } = await pg.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    return rows.map((r) => r.table_name);
  });
}

export async function databaseNames(url: string): Promise<string[]> {
  return withPg(url, async (pg) => {
    const { rows } = await pg.query<{ datname: string }>('SELECT datname FROM pg_database');
    return rows.map((r) => r.datname);
  });
}
