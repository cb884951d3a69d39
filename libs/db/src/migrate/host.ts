/**
 * Entry point of the child process that runs the wasm schema engine (see
 * ../migrate.ts for why it is a separate process). Receives one
 * EngineRequest over IPC, answers one EngineResponse, exits.
 */
import { engineApplyMigrations, engineDiffMigrationsToSchema } from './engine';
import type { EngineRequest, EngineResponse } from './protocol';

async function handle(req: EngineRequest): Promise<EngineResponse> {
  try {
    switch (req.op) {
      case 'apply':
        return { ok: true, value: { applied: await engineApplyMigrations(req.databaseUrl, req.migrationsDir) } };
      case 'diff':
        return {
          ok: true,
          value: { sql: await engineDiffMigrationsToSchema(req.databaseUrl, req.migrationsDir, req.schemaPath) },
        };
    }
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    return {
      ok: false,
      error: {
        message: typeof e.message === 'string' ? e.message : String(err),
        ...(typeof e.code === 'string' ? { code: e.code } : {}),
      },
    };
  }
}

if (!process.send) {
  process.stderr.write('host.ts is started by @voc/db/migrate over IPC, not run directly\n');
  process.exit(2);
}
process.once('message', (req: EngineRequest) => {
  void handle(req).then((res) => process.send?.(res, () => process.exit(0)));
});
