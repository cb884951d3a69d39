/**
 * `npm run generate -w @voc/db`: generates the Prisma client into
 * src/generated/prisma (gitignored), offline.
 *
 * The Prisma CLI downloads its native schema engine before any command,
 * `generate` included, although generating does not use it. Pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at a harmless binary skips that download; a
 * real engine given by the caller is kept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const LIB_ROOT = path.resolve(__dirname, '..');
const NO_OP_BINARIES = ['/bin/true', '/usr/bin/true'];

const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY || NO_OP_BINARIES.find((p) => existsSync(p));
if (!engine) {
  console.error(`generate: none of ${NO_OP_BINARIES.join(', ')} exists; set PRISMA_SCHEMA_ENGINE_BINARY to any executable`);
  process.exit(1);
}

const result = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], {
  cwd: LIB_ROOT,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: engine,
    // No update check or telemetry: both would try the network.
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);
