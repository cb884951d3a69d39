import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@voc/config';
import { loadGatewayConfig, parseByteSize } from '../src/config';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function problemsOf(vars: Record<string, string>): string[] {
  try {
    loadGatewayConfig(vars);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.variable}: ${p.message}`);
  }
  return [];
}

describe('loadGatewayConfig', () => {
  it('applies the defaults', () => {
    const cfg = loadGatewayConfig({ GATEWAY_API_KEYS: 'k1, k2 ,' });
    expect(cfg.keys).toEqual([
      { id: `key-${sha256('k1').slice(0, 8)}`, digest: sha256('k1') },
      { id: `key-${sha256('k2').slice(0, 8)}`, digest: sha256('k2') },
    ]);
    expect(cfg.GATEWAY_PORT).toBe(8080);
    expect(cfg.GATEWAY_METRICS_PORT).toBe(9100);
    expect(cfg.GATEWAY_BODY_LIMIT).toBe(4 * 1024 * 1024);
    expect(cfg.GATEWAY_BODY_BUDGET).toBe(32 * 1024 * 1024);
    expect(cfg.GATEWAY_KEY_RPS).toBe(50);
    expect(cfg.GATEWAY_KEY_REVIEWS_PER_DAY).toBeUndefined();
    expect(cfg.GATEWAY_INGEST_PART_REVIEWS).toBe(200);
    expect(cfg.GATEWAY_INGEST_PART_BYTES).toBe(512 * 1024);
    expect(cfg.limiter.model).toBe('qwen-plus-latest');
    expect(cfg.limiter.rps).toBe(200);
  });

  it('reads the limiter settings', () => {
    const cfg = loadGatewayConfig({ GATEWAY_API_KEYS: 'k', LLM_MODEL: 'qwen3-max', MAX_API_RPS: '5', GATEWAY_BODY_LIMIT: '2mb' });
    expect(cfg.limiter).toMatchObject({ model: 'qwen3-max', rps: 5 });
    expect(cfg.GATEWAY_BODY_LIMIT).toBe(2 * 1024 * 1024);
  });

  it('fails naming every bad variable at once', () => {
    let err: unknown;
    try {
      loadGatewayConfig({ GATEWAY_API_KEYS: ' , ', GATEWAY_INGEST_PART_BYTES: 'lots', GATEWAY_PORT: '70000', MAX_API_RPS: '-1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = (err as ConfigError).problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['GATEWAY_API_KEYS', 'GATEWAY_INGEST_PART_BYTES', 'GATEWAY_PORT', 'MAX_API_RPS']);
  });

  it('requires GATEWAY_API_KEYS', () => {
    expect(() => loadGatewayConfig({})).toThrow(/GATEWAY_API_KEYS/);
  });
});

describe('API keys', () => {
  // Each test's key files live in a temporary folder of its own, removed afterwards.
  const dirs: string[] = [];
  const keysDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-keys-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('reads id:secret entries beside plain ones, and hashed keys from a file', () => {
    const dir = keysDir();
    const file = path.join(dir, 'keys');
    writeFileSync(file, `# the plug-in fleet\nplugin:${sha256('random-secret-1')}\n\nops:${sha256('random-secret-2').toUpperCase()}  # rotated 2026-11\n`);
    const cfg = loadGatewayConfig({ GATEWAY_API_KEYS: 'alice:s3cret-a,plain-secret', GATEWAY_API_KEYS_FILE: file });
    expect(cfg.keys.map((k) => k.id)).toEqual(['alice', `key-${sha256('plain-secret').slice(0, 8)}`, 'plugin', 'ops']);
    expect(cfg.keys[0]!.digest).toBe(sha256('s3cret-a'));
    expect(cfg.keys[3]!.digest).toBe(sha256('random-secret-2'));
    // A file alone is enough.
    expect(loadGatewayConfig({ GATEWAY_API_KEYS_FILE: file }).keys).toHaveLength(2);
  });

  it('refuses repeated ids or secrets and malformed file lines, naming the variable', () => {
    expect(problemsOf({ GATEWAY_API_KEYS: 'a:x1,a:x2' })).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS: key id 'a' is given twice/)]);
    expect(problemsOf({ GATEWAY_API_KEYS: 'a:same,b:same' })).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS: .*repeats another key/)]);
    const dir = keysDir();
    writeFileSync(path.join(dir, 'bad'), 'ops:not-a-digest\n');
    expect(problemsOf({ GATEWAY_API_KEYS_FILE: path.join(dir, 'bad') })).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS_FILE: .*line 1/)]);
    expect(problemsOf({ GATEWAY_API_KEYS_FILE: path.join(dir, 'missing') })).toEqual([expect.stringMatching(/^GATEWAY_API_KEYS_FILE: cannot read/)]);
  });

  it('refuses a body budget below the body limit', () => {
    expect(problemsOf({ GATEWAY_API_KEYS: 'k', GATEWAY_BODY_LIMIT: '8mb', GATEWAY_BODY_BUDGET: '4mb' })).toEqual([expect.stringMatching(/^GATEWAY_BODY_BUDGET/)]);
  });
});

describe('parseByteSize', () => {
  it('understands plain numbers and binary units', () => {
    expect(parseByteSize('65536')).toBe(65536);
    expect(parseByteSize('512kb')).toBe(524288);
    expect(parseByteSize('1.5MB')).toBe(1572864);
    expect(() => parseByteSize('12 parsecs')).toThrow(/not a size/);
  });
});
