/** Messages between src/migrate.ts and the engine host process (host.ts). */

export type EngineRequest =
  | { op: 'apply'; databaseUrl: string; migrationsDir: string }
  | { op: 'diff'; databaseUrl: string; migrationsDir: string; schemaPath: string };

export interface EngineResults {
  apply: { applied: string[] };
  diff: { sql: string };
}

export type EngineResponse =
  | { ok: true; value: EngineResults[keyof EngineResults] }
  | { ok: false; error: { message: string; code?: string } };
