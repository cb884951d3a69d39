import { readFileSync } from 'node:fs';
import { GENERATED_MODULE, LUA_DIR, renderLuaModule } from '../src/lua/embed';
import { LUA_SCRIPTS } from '../src/lua/generated/scripts';

describe('embedded Lua scripts', () => {
  it('are in sync with src/lua/*.lua (else run: npm run generate -w @voc/rate-limiter)', () => {
    expect(readFileSync(GENERATED_MODULE, 'utf8')).toBe(renderLuaModule(LUA_DIR));
  });

  it('carry every script the limiter defines', () => {
    expect(Object.keys(LUA_SCRIPTS).sort()).toEqual(['pause', 'release', 'reserve', 'stats']);
  });
});
