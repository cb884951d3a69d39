import { ConfigError } from '@voc/config';
import { limiterConfigFromEnv, parseModelLimits } from '../src/env';

describe('parseModelLimits', () => {
  it('parses model=rps pairs, spaces and fractions allowed', () => {
    expect(parseModelLimits('qwen3-max=8, other=20,slow=0.5')).toEqual({ 'qwen3-max': 8, other: 20, slow: 0.5 });
    expect(parseModelLimits('')).toEqual({});
  });

  it.each(['qwen3-max', 'a=0', 'a=-1', 'a=x', '=5'])('rejects %p', (text) => {
    expect(() => parseModelLimits(text)).toThrow(/model=rps/);
  });
});

describe('limiterConfigFromEnv', () => {
  it('reads LIMITER_MARGIN_MS and rejects a nonsensical one', () => {
    expect(limiterConfigFromEnv({ LIMITER_MARGIN_MS: '25' }).marginMs).toBe(25);
    expect(() => limiterConfigFromEnv({ LIMITER_MARGIN_MS: '0' })).toThrow(/LIMITER_MARGIN_MS/);
  });

  it('defaults to qwen-plus-latest at 200 and qwen3-max at 8', () => {
    expect(limiterConfigFromEnv({})).toEqual({
      model: 'qwen-plus-latest',
      rps: 200,
      limits: { 'qwen-plus-latest': 200, 'qwen3-max': 8 },
      marginMs: 10,
    });
  });

  it('gives LLM_MODEL the MAX_API_RPS limit', () => {
    const c = limiterConfigFromEnv({ LLM_MODEL: 'qwen3-max', MAX_API_RPS: '6' });
    expect(c.rps).toBe(6);
    expect(c.limits['qwen3-max']).toBe(6);
    expect(c.limits['qwen-plus-latest']).toBe(200);
  });

  it('keeps a known model its own limit when MAX_API_RPS is unset (seed 000: qwen3-max 8)', () => {
    expect(limiterConfigFromEnv({ LLM_MODEL: 'qwen3-max' }).rps).toBe(8);
    expect(limiterConfigFromEnv({ LLM_MODEL: 'some-new-model' }).rps).toBe(200);
  });

  it('adds and overrides limits from LLM_MODEL_LIMITS; MAX_API_RPS wins for LLM_MODEL', () => {
    const c = limiterConfigFromEnv({ LLM_MODEL_LIMITS: 'qwen3-max=5,other=20', LLM_MODEL: 'other', MAX_API_RPS: '30' });
    expect(c.limits).toEqual({ 'qwen-plus-latest': 200, 'qwen3-max': 5, other: 30 });
    expect(c.rps).toBe(30);
  });

  it('names every bad variable', () => {
    let err: unknown;
    try {
      limiterConfigFromEnv({ MAX_API_RPS: '-3', LLM_MODEL_LIMITS: 'a=b' }, 'translate-svc');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['LLM_MODEL_LIMITS', 'MAX_API_RPS']);
    expect((err as Error).message).toContain('translate-svc');
  });
});
