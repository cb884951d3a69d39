/**
 * Writes the compose files, .env examples, configs and overrides of infra/
 * from libs/config's SERVICES and infra/src/ (and refreshes the generated
 * tables of infra/README.md).
 *
 *   npx tsx infra/generate.ts           write every file
 *   npx tsx infra/generate.ts --check   exit 1, listing the files that differ
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatedFiles, README_PATH } from './src/files';

const ROOT = path.resolve(__dirname, '..');

function main(): void {
  const check = process.argv.includes('--check');
  const readme = readFileSync(path.join(ROOT, README_PATH), 'utf8');
  const stale: string[] = [];
  for (const f of generatedFiles(readme)) {
    const file = path.join(ROOT, f.path);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === f.content) continue;
    stale.push(f.path);
    if (!check) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, f.content);
    }
  }
  if (check) {
    if (stale.length) {
      console.error(`infra: out of date (run npm run infra:generate):\n${stale.map((p) => `  ${p}`).join('\n')}`);
      process.exit(1);
    }
    console.log('infra: every generated file is up to date');
  } else {
    console.log(stale.length ? `infra: wrote\n${stale.map((p) => `  ${p}`).join('\n')}` : 'infra: nothing to change');
  }
}

main();
