import { ConfigError } from '@voc/config';
import { loadGatewayConfig, parseByteSize } from '../src/config';

describe('loadGatewayConfig', () => {
  it('applies the defaults', () => {
    const cfg = loadGatewayConfig({ GATEWAY_API_KEYS: 'k1, k2 ,' });
    expect(cfg.GATEWAY_API_KEYS).toEqual(['k1', 'k2']);
    expect(cfg.GATEWAY_PORT).toBe(8080);
    expect(cfg.GATEWAY_BODY_LIMIT).toBe(16 * 1024 * 1024);
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

describe('parseByteSize', () => {
  it('understands plain numbers and binary units', () => {
    expect(parseByteSize('65536')).toBe(65536);
    expect(parseByteSize('512kb')).toBe(524288);
    expect(parseByteSize('1.5MB')).toBe(1572864);
    expect(() => parseByteSize('12 parsecs')).toThrow(/not a size/);
  });
});
