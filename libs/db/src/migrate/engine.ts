import { readFile } from 'node:fs/promises';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { DiffTarget, SchemaEngine, SchemaFilter, SchemasContainer } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { MigrationAdapterFactory } from './adapter';
import { readMigrationsDir } from './migrations-dir';

/**
 * Prisma's schema engine compiled to WebAssembly, driven through
 * @prisma/adapter-pg. It replaces the native `schema-engine` binary, which
 * the Prisma CLI downloads on first use and cannot fetch offline.
 *
 * The package's own entry point imports the .wasm file as an ES module, which
 * Node does not support; so this instantiates the module and wires it to the
 * wasm-bindgen glue (`schema_engine_bg.js`) itself, as bundlers do.
 */

// @types/node 20 does not type the WebAssembly global (lib "dom" does); this is the one call used.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: { __wbindgen_start(): void } } }>;
};

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

/** Where the wasm-bindgen glue writes a Rust panic's message before throwing a bare RuntimeError. */
const panics = {
  message: '',
  set_message(message: string) {
    this.message = message;
  },
};

let ready: Promise<typeof wasmBindings> | undefined;

function loadWasm(): Promise<typeof wasmBindings> {
  ready ??= (async () => {
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY = panics;
    const wasmPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
      './schema_engine_bg.js': wasmBindings,
    });
    wasmBindings.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return wasmBindings;
  })();
  return ready;
}

/** Runs `fn` with an engine connected to `databaseUrl`, then releases everything. */
async function withEngine<T>(
  databaseUrl: string,
  schema: SchemasContainer | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const wasm = await loadWasm();
  const factory = new MigrationAdapterFactory(databaseUrl);
  const datamodels = schema?.files.map((f): [string, string] => [f.path, f.content]);
  let engine: SchemaEngine | undefined;
  try {
    // The engine logs JSON lines; its errors come back as rejections, so the log is not needed.
    engine = await wasm.SchemaEngine.new({ datamodels }, () => {}, bindMigrationAwareSqlAdapterFactory(factory));
    return await fn(engine);
  } catch (err) {
    if ((err as Error).name === 'RuntimeError' && panics.message) {
      throw new Error(`schema engine panicked: ${panics.message}`, { cause: err });
    }
    throw err;
  } finally {
    engine?.free();
    await factory.close();
  }
}

async function readSchema(schemaPath: string): Promise<SchemasContainer> {
  return { files: [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }] };
}

/** `prisma migrate deploy`: applies pending migrations, records them in `_prisma_migrations`. */
export async function engineApplyMigrations(databaseUrl: string, migrationsDir: string): Promise<string[]> {
  const migrationsList = await readMigrationsDir(migrationsDir);
  return withEngine(databaseUrl, undefined, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return appliedMigrationNames;
  });
}

/**
 * The SQL that takes a database built by the migrations to what the schema
 * describes; '' when they agree. Replays the migrations on a temporary shadow
 * database on the server of `databaseUrl` (the database itself is not read).
 */
export async function engineDiffMigrationsToSchema(
  databaseUrl: string,
  migrationsDir: string,
  schemaPath: string,
): Promise<string> {
  const [migrationsList, schema] = await Promise.all([readMigrationsDir(migrationsDir), readSchema(schemaPath)]);
  const from: DiffTarget = { tag: 'migrations', ...migrationsList };
  const to: DiffTarget = { tag: 'schemaDatamodel', ...schema };
  return withEngine(databaseUrl, schema, async (engine) => {
    const result = await engine.diff({ from, to, script: true, exitCode: true, filters: NO_FILTER });
    // exitCode 2 = "there is a difference"; with 0 the script is only a comment.
    return result.exitCode === 2 ? (result.stdout ?? '') : '';
  });
}
