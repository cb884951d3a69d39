import { simConfigFromEnv, simEnv, type SimConfig } from '../src/config';

describe('simEnv', () => {
  it('is simConfigFromEnv read backwards: every setting survives the round trip', () => {
    const c: SimConfig = {
      port: 18090,
      host: '127.0.0.1',
      latencyMs: 3000,
      jitterMs: 1000,
      rpsLimit: 250,
      tpmLimit: 600_000,
      burstFactor: 2.5,
      burstFloorRps: 40,
      defaultMaxTokens: 4096,
      arrearage: true,
      cacheMinTokens: 128,
      errorRate: 0.05,
      malformedRate: 0.01,
      seed: 'bench',
      apiKey: 'sk-sim',
    };
    expect(simConfigFromEnv(simEnv(c))).toEqual(c);
  });

  it('sets only what it is given: the rest keeps the defaults', () => {
    expect(simEnv({ latencyMs: 8000, jitterMs: undefined })).toEqual({ LLM_SIM_LATENCY_MS: '8000' });
    const d = simConfigFromEnv({});
    expect(simConfigFromEnv(simEnv({ rpsLimit: 7 }))).toEqual({ ...d, rpsLimit: 7 });
  });
});
