// Regenerates src/lua/generated/scripts.ts from src/lua/*.lua.
// Run: npm run generate -w @voc/rate-limiter
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_MODULE, LUA_DIR, renderLuaModule } from '../src/lua/embed';

writeFileSync(GENERATED_MODULE, renderLuaModule(LUA_DIR));
console.log(`wrote ${path.relative(process.cwd(), GENERATED_MODULE)}`);
