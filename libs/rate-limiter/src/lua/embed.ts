import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const INCLUDE = /^-- #include ([a-z][a-zA-Z0-9]*)$/gm;

/** A script's text with each `-- #include <name>` line replaced by `include/<name>.lua` (scripts cannot call each other). */
export function expandIncludes(luaDir: string, text: string): string {
  return text.replace(INCLUDE, (_line, name: string) => readFileSync(path.join(luaDir, 'include', `${name}.lua`), 'utf8').trimEnd());
}

/**
 * Renders the TypeScript module that carries the text of every `*.lua` file
 * in `luaDir`, includes expanded. The .lua files are the source (readable,
 * diffable, like BullMQ's commands/); the generated module is what the
 * limiter loads, so it works the same under tsx, jest and an esbuild bundle
 * (apps/<x>/dist/main.js), where no .lua file sits next to the code.
 * `npm run generate -w @voc/rate-limiter` rewrites it; a test fails when it
 * is out of date.
 */
export function renderLuaModule(luaDir: string): string {
  const files = readdirSync(luaDir)
    .filter((f) => f.endsWith('.lua'))
    .sort();
  if (files.length === 0) throw new Error(`no .lua files in ${luaDir}`);
  const entries = files.map((f) => {
    const name = path.basename(f, '.lua');
    if (!/^[a-z][a-zA-Z0-9]*$/.test(name)) throw new Error(`${f}: script names must be identifiers`);
    return `  ${name}: ${JSON.stringify(expandIncludes(luaDir, readFileSync(path.join(luaDir, f), 'utf8')))},`;
  });
  return [
    '// Generated from src/lua/*.lua by libs/rate-limiter/scripts/embed-lua.ts. Do not edit:',
    '// change the .lua file, then run `npm run generate -w @voc/rate-limiter`.',
    'export const LUA_SCRIPTS = {',
    ...entries,
    '} as const;',
    '',
  ].join('\n');
}

export const LUA_DIR = __dirname;
export const GENERATED_MODULE = path.join(__dirname, 'generated', 'scripts.ts');
