import { ConfigError } from '@voc/config';
import { limiterConfigFromEnv, limiterOptionsFor, parseModelLimits } from '../src/env';

describe('parseModelLimits', () => {
  it('parses model=rps[:tpm] pairs, spaces and fractions allowed', () => {
    expect(parseModelLimits('qwen3-max=8, other=20:600000,slow=0.5')).toEqual({
      'qwen3-max': { rps: 8 },
      other: { rps: 20, tpm: 600_000 },
      slow: { rps: 0.5 },
    });
    expect(parseModelLimits('a=1:0')).toEqual({ a: { rps: 1, tpm: 0 } });
    expect(parseModelLimits('')).toEqual({});
  });

  it.each(['qwen3-max', 'a=0', 'a=-1', 'a=x', '=5', 'a=1:', 'a=1:-5', 'a=1:1.5'])('rejects %p', (text) => {
    expect(() => parseModelLimits(text)).toThrow(/model=rps\[:tpm\]/);
  });
});

describe('limiterConfigFromEnv', () => {
  it('reads LIMITER_MARGIN_MS and LIMITER_RAMP_MS and rejects nonsensical ones', () => {
    expect(limiterConfigFromEnv({ LIMITER_MARGIN_MS: '25', LIMITER_RAMP_MS: '0' })).toMatchObject({ marginMs: 25, rampMs: 0 });
    expect(() => limiterConfigFromEnv({ LIMITER_MARGIN_MS: '0' })).toThrow(/LIMITER_MARGIN_MS/);
    expect(() => limiterConfigFromEnv({ LIMITER_RAMP_MS: '-1' })).toThrow(/LIMITER_RAMP_MS/);
  });

  it('defaults to qwen-plus-latest at 200 RPS / 960,000 TPM and qwen3-max at 8 / 800,000, with the default lanes', () => {
    expect(limiterConfigFromEnv({})).toEqual({
      model: 'qwen-plus-latest',
      rps: 200,
      tpm: 960_000,
      limits: { 'qwen-plus-latest': 200, 'qwen3-max': 8 },
      keyLimits: { 'qwen-plus-latest': { rps: 200, tpm: 960_000 }, 'qwen3-max': { rps: 8, tpm: 800_000 } },
      marginMs: 10,
      rampMs: 5000,
      checkpoints: true,
      handoffMs: 150,
      laneShares: { translate: 0.25, insight: 0.25, theme: 0.25 },
    });
  });

  it('gives LLM_MODEL the MAX_API_RPS and MAX_API_TPM limits; MAX_API_TPM=0 means requests only', () => {
    const c = limiterConfigFromEnv({ LLM_MODEL: 'qwen3-max', MAX_API_RPS: '6', MAX_API_TPM: '0' });
    expect([c.rps, c.tpm]).toEqual([6, 0]);
    expect(c.keyLimits['qwen3-max']).toEqual({ rps: 6, tpm: 0 });
    expect(c.keyLimits['qwen-plus-latest']).toEqual({ rps: 200, tpm: 960_000 });
    expect(limiterConfigFromEnv({ MAX_API_TPM: '500000' }).keyLimits['qwen-plus-latest']).toEqual({ rps: 200, tpm: 500_000 });
  });

  it('keeps a known model its own limits when unset (qwen3-max 8 / 800,000); an unknown one gets 200 and no token limit', () => {
    expect(limiterConfigFromEnv({ LLM_MODEL: 'qwen3-max' })).toMatchObject({ rps: 8, tpm: 800_000 });
    expect(limiterConfigFromEnv({ LLM_MODEL: 'some-new-model' })).toMatchObject({ rps: 200, tpm: 0 });
  });

  it('adds and overrides limits from LLM_MODEL_LIMITS; the old model=rps form keeps the known token limit; MAX_API_* win for LLM_MODEL', () => {
    const c = limiterConfigFromEnv({ LLM_MODEL_LIMITS: 'qwen3-max=5,other=20:300000', LLM_MODEL: 'other', MAX_API_RPS: '30' });
    expect(c.keyLimits).toEqual({
      'qwen-plus-latest': { rps: 200, tpm: 960_000 },
      'qwen3-max': { rps: 5, tpm: 800_000 },
      other: { rps: 30, tpm: 300_000 },
    });
    expect(c.limits).toEqual({ 'qwen-plus-latest': 200, 'qwen3-max': 5, other: 30 });
    expect([c.rps, c.tpm]).toEqual([30, 300_000]);
  });

  it('reads LLM_LANE_SHARES', () => {
    expect(limiterConfigFromEnv({ LLM_LANE_SHARES: 'translate=0.5, theme=0.1' }).laneShares).toEqual({ translate: 0.5, theme: 0.1 });
    expect(() => limiterConfigFromEnv({ LLM_LANE_SHARES: 'a=0.8,b=0.8' })).toThrow(/LLM_LANE_SHARES/);
    expect(() => limiterConfigFromEnv({ LLM_LANE_SHARES: 'a=2' })).toThrow(/LLM_LANE_SHARES/);
  });

  it('gives the createRateLimiter options of a configured key', () => {
    const c = limiterConfigFromEnv({ LLM_MODEL: 'qwen3-max', LIMITER_RAMP_MS: '1000', LIMITER_CHECKPOINTS: 'false', LIMITER_HANDOFF_MS: '40' });
    expect(limiterOptionsFor(c)).toEqual({
      key: 'qwen3-max',
      rps: 8,
      tpm: 800_000,
      marginMs: 10,
      rampMs: 1000,
      checkpoints: false,
      handoffMs: 40,
      laneShares: { translate: 0.25, insight: 0.25, theme: 0.25 },
    });
    expect(() => limiterOptionsFor(c, 'gpt-unknown')).toThrow(/no rate limit configured for 'gpt-unknown'/);
  });

  it('names every bad variable', () => {
    let err: unknown;
    try {
      limiterConfigFromEnv({ MAX_API_RPS: '-3', MAX_API_TPM: '1.5', LLM_MODEL_LIMITS: 'a=b', LIMITER_CHECKPOINTS: 'maybe', LIMITER_HANDOFF_MS: '-1' }, 'translate-svc');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['LIMITER_CHECKPOINTS', 'LIMITER_HANDOFF_MS', 'LLM_MODEL_LIMITS', 'MAX_API_RPS', 'MAX_API_TPM']);
    expect((err as Error).message).toContain('translate-svc');
  });
});
