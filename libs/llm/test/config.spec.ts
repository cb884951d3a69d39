import { ConfigError } from '@voc/config';
import { isLoopbackUrl, llmConfigFromEnv } from '../src/config';

describe('llmConfigFromEnv', () => {
  it('defaults to the local simulator with the placeholder key', () => {
    expect(llmConfigFromEnv({})).toEqual({
      baseUrl: 'http://127.0.0.1:8090/v1',
      apiKey: 'sim-key',
      model: 'qwen-plus-latest',
      timeoutMs: 60_000,
      maxRetries: 5,
      prices: {},
      haltProbeEveryMs: 60_000,
      inFlight: { floor: 8, ceiling: 600 },
      slotOrder: 'product',
      sendThread: true,
    });
  });

  it('reads LLM_SEND_THREAD and names a bad one', () => {
    expect(llmConfigFromEnv({ LLM_SEND_THREAD: 'false' }).sendThread).toBe(false);
    expect(() => llmConfigFromEnv({ LLM_SEND_THREAD: 'sometimes' })).toThrow(/LLM_SEND_THREAD/);
  });

  it('reads the bounds of the self-sized open calls and refuses a ceiling below the floor', () => {
    expect(llmConfigFromEnv({ LLM_MIN_IN_FLIGHT: '2', LLM_MAX_IN_FLIGHT: '50' }).inFlight).toEqual({ floor: 2, ceiling: 50 });
    expect(() => llmConfigFromEnv({ LLM_MIN_IN_FLIGHT: '20', LLM_MAX_IN_FLIGHT: '10' })).toThrow(/LLM_MAX_IN_FLIGHT/);
  });

  it('reads the order of waiting calls and names a bad one', () => {
    expect(llmConfigFromEnv({ LLM_SLOT_ORDER: 'arrival' }).slotOrder).toBe('arrival');
    expect(() => llmConfigFromEnv({ LLM_SLOT_ORDER: 'random' })).toThrow(/LLM_SLOT_ORDER: expected product or arrival/);
  });

  it('reads LLM_PRICES (per million tokens: prompt:completion[:cached]) and names a bad one', () => {
    expect(llmConfigFromEnv({ LLM_PRICES: 'qwen-plus-latest=0.8:2:0.32, qwen3-max=6:24' }).prices).toEqual({
      'qwen-plus-latest': { prompt: 0.8, completion: 2, cached: 0.32 },
      'qwen3-max': { prompt: 6, completion: 24 },
    });
    expect(() => llmConfigFromEnv({ LLM_PRICES: 'qwen-plus=cheap' })).toThrow(/LLM_PRICES/);
  });

  it('requires LLM_API_KEY when the base URL is not on this machine', () => {
    const env = { LLM_BASE_URL: 'https://dashscope.aliyuncs.com/compatible-mode/v1' };
    expect(() => llmConfigFromEnv(env)).toThrow(ConfigError);
    expect(() => llmConfigFromEnv(env)).toThrow(/LLM_API_KEY: required when LLM_BASE_URL/);
    expect(llmConfigFromEnv({ ...env, LLM_API_KEY: 'sk-real', LLM_MODEL: 'qwen3-max', LLM_MAX_RETRIES: '2' })).toMatchObject({
      apiKey: 'sk-real',
      model: 'qwen3-max',
      maxRetries: 2,
    });
  });

  it('names bad values', () => {
    expect(() => llmConfigFromEnv({ LLM_BASE_URL: 'ftp://x', LLM_TIMEOUT_MS: 'soon' })).toThrow(/LLM_BASE_URL[\s\S]*LLM_TIMEOUT_MS|LLM_TIMEOUT_MS[\s\S]*LLM_BASE_URL/);
  });

  it('knows loopback addresses', () => {
    for (const u of ['http://127.0.0.1:8090/v1', 'http://localhost/v1', 'http://[::1]:80', 'http://127.1.2.3']) expect(isLoopbackUrl(u)).toBe(true);
    for (const u of ['http://10.0.0.1/v1', 'https://dashscope.aliyuncs.com', 'http://localhost.evil.com', 'nonsense']) expect(isLoopbackUrl(u)).toBe(false);
  });
});
