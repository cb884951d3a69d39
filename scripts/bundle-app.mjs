// Bundles an app's src/main.ts (and the @voc/* libs it imports) into
// dist/main.js: the app of the current directory (its `build` target), or
// those named (`node scripts/bundle-app.mjs gateway ingest-svc`, as
// `npm start` does before it runs them). Third-party packages stay external:
// the production image installs them with `npm ci --omit=dev`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(rootPkg.dependencies ?? {}).flatMap((d) => [d, `${d}/*`]);
const appDirs = process.argv.length > 2 ? process.argv.slice(2).map((name) => path.join(root, 'apps', name)) : [process.cwd()];

await Promise.all(
  appDirs.map(async (appDir) => {
    await build({
      entryPoints: [path.join(appDir, 'src/main.ts')],
      outfile: path.join(appDir, 'dist/main.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      external,
      logLevel: 'warning',
    });
    console.log(`bundled ${path.relative(root, appDir)}/dist/main.js`);
  }),
);
