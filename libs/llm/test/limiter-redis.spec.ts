import { buildTranslateSingleMessages } from '@voc/prompts';
import { startTestStack, type TestStack } from '@voc/local-stack';
import { countChatTokens, type LlmSim } from '@voc/llm-sim';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from '@voc/rate-limiter';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createLlmClient, estimatePromptTokens, type LlmGrant, type LlmLimiter, type ThrottleCause } from '../src';
import { translateSingle } from '../src/tasks/translate';
import { translateSingleMaxTokens } from '../src/tokens/max-tokens';
import { FAST_RETRY, metricSum } from './support/client';
import { startTestSim } from './support/sim';

/** The real limiter, with every call the client makes on it recorded. */
function spyOn(limiter: RateLimiter) {
  const log = {
    acquires: [] as { tokens: number; lane?: string; probe: boolean }[],
    settles: [] as number[],
    pauses: [] as { ms: number; cause?: ThrottleCause }[],
    halts: [] as string[],
    resumes: [] as string[],
  };
  const spy: LlmLimiter = {
    async acquire(opts = {}) {
      const g = await limiter.acquire(opts);
      log.acquires.push({ tokens: opts.tokens ?? 0, ...(opts.lane ? { lane: opts.lane } : {}), probe: g.probe });
      const grant: LlmGrant = {
        tokens: g.tokens,
        probe: g.probe,
        settle: (n) => {
          log.settles.push(n);
          g.settle(n);
        },
        cancel: () => g.cancel(),
      };
      return grant;
    },
    pause: (ms, opts) => {
      log.pauses.push({ ms, ...(opts?.cause ? { cause: opts.cause } : {}) });
      return limiter.pause(ms, opts);
    },
    halt: (reason, opts) => {
      log.halts.push(reason);
      return limiter.halt(reason, opts);
    },
    resume: (reason) => {
      log.resumes.push(reason ?? '');
      return limiter.resume(reason);
    },
  };
  return { spy, log };
}

describe('the client on the real Redis limiter against llm-sim', () => {
  let stack: TestStack;
  let redis: Redis;
  const limiters: RateLimiter[] = [];
  const sims: LlmSim[] = [];
  let keySeq = 0;

  beforeAll(async () => {
    stack = await startTestStack({ redis: true });
    redis = new Redis(stack.redisUrl);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    await Promise.all(sims.map((s) => s.stop()));
    redis?.disconnect();
    await stack?.stop();
  });

  async function setup(sim: Partial<Parameters<typeof startTestSim>[0]>, limiter: Partial<RateLimiterOptions>, client: { maxRetries?: number; haltProbeEveryMs?: number } = {}) {
    const s = await startTestSim({ latencyMs: 20, jitterMs: 10, ...sim });
    sims.push(s);
    const l = createRateLimiter({ redis, key: `llm-test-${++keySeq}`, rps: 200, rampMs: 0, ...limiter });
    limiters.push(l);
    const { spy, log } = spyOn(l);
    const registry = new Registry();
    const llm = createLlmClient({
      baseUrl: s.baseUrl,
      apiKey: 'sim-key',
      model: 'qwen-plus-latest',
      limiter: spy,
      service: 'llm-test',
      registry,
      maxRetries: client.maxRetries ?? 8,
      timeoutMs: 10_000,
      retryPolicy: FAST_RETRY,
      ...(client.haltProbeEveryMs ? { haltProbeEveryMs: client.haltProbeEveryMs } : {}),
    });
    return { sim: s, limiter: l, log, llm, registry };
  }

  const texts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} review ${i}: the battery lasts for weeks and the screen is easy on the eyes.`);

  it('reserves estimated prompt + max_tokens in the translate lane, settles with the provider prompt count + max_tokens', async () => {
    const { llm, log, sim } = await setup({ tpmLimit: 60 * 50_000 }, { tpm: 60 * 40_000 });
    const text = 'Works great, would buy again.';
    await translateSingle(llm, { text, rating: 5 });
    const messages = buildTranslateSingleMessages({ text, rating: 5 });
    const maxTokens = translateSingleMaxTokens(text);
    expect(log.acquires).toEqual([{ tokens: estimatePromptTokens(messages) + maxTokens, lane: 'translate', probe: false }]);
    expect(log.settles).toEqual([countChatTokens(messages) + maxTokens]);
    // The sim counted the same (the counting rule on both sides).
    expect(sim.stats().maxTokensIn1s).toBe(countChatTokens(messages) + maxTokens);
  }, 30_000);

  it('with the token limit binding (limiter at 80 % of the account) sends no call over it: 0 × 429', async () => {
    // Account: 3,000 tokens/s; fleet: 2,400/s. Each call reserves ~300, so ~8 calls/s, far below the request limit.
    const { llm, sim, log } = await setup({ tpmLimit: 60 * 3000, rpsLimit: 250 }, { tpm: 60 * 2400, rps: 200 });
    const all = texts(30, 'binding');
    const started = Date.now();
    await Promise.all(all.map((text) => translateSingle(llm, { text })));
    const seconds = (Date.now() - started) / 1000;
    const s = sim.stats();
    expect(s.rejected429).toBe(0);
    expect(s.maxTokensIn1s).toBeLessThanOrEqual(3000);
    // Token-bound, not request-bound: 30 calls at ~8/s take over 2 s.
    const reserved = log.settles.reduce((a, b) => a + b, 0);
    expect(reserved / seconds).toBeLessThanOrEqual(2400 * 1.2);
    expect(seconds).toBeGreaterThan(2);
  }, 60_000);

  it.each<['requests' | 'tokens' | 'burst', Parameters<typeof startTestSim>[0], Partial<RateLimiterOptions>]>([
    ['requests', { rpsLimit: 4 }, { rps: 50 }],
    ['tokens', { rpsLimit: 0, tpmLimit: 60 * 1500 }, { rps: 50, tpm: 0 }],
    ['burst', { rpsLimit: 0, burstFactor: 2, burstFloorRps: 5 }, { rps: 40, rampMs: 0 }],
  ])('a 429 for %s pauses the fleet with that cause, and every call still succeeds', async (cause, sim, limiter) => {
    const { llm, sim: s, log, registry } = await setup(sim, limiter);
    const all = texts(24, cause);
    const out = await Promise.all(all.map((text) => translateSingle(llm, { text })));
    expect(out.every((t) => t.length > 0)).toBe(true);
    const stats = s.stats();
    expect(stats.rejected429ByCause[cause]).toBeGreaterThan(0);
    expect(stats.rejected429).toBe(stats.rejected429ByCause[cause]);
    expect(log.pauses.length).toBe(stats.rejected429);
    expect(log.pauses.every((p) => p.cause === cause && p.ms >= 1000)).toBe(true);
    expect(await metricSum(registry, 'llm_throttled_total', { cause })).toBe(stats.rejected429);
    // Refused calls counted no tokens: their reservations were given back.
    expect(log.settles.filter((n) => n === 0)).toHaveLength(stats.rejected429);
  }, 90_000);

  it('the ramp of a cold fleet keeps under a burst rule', async () => {
    // Burst rule: a sliding second over 25 requests and over 4 × the second before. The limiter: 30 RPS,
    // ramped from 3 RPS to 30 over 3 s: a second reaches 25 only ~3 s in, at ~1.5 × the one before. (A cold start at full
    // rate trips such a rule: the burst case above, without a ramp. How fast a cold start really gets
    // depends on the machine's load, so it is not asserted here.)
    const ramped = await setup({ rpsLimit: 0, burstFactor: 4, burstFloorRps: 25 }, { rps: 30, rampMs: 3000, rampFloor: 0.1 });
    await Promise.all(texts(60, 'ramped').map((text) => translateSingle(ramped.llm, { text })));
    expect(ramped.sim.stats().rejected429ByCause.burst).toBe(0);
    expect(ramped.sim.stats().requests).toBe(60);
  }, 60_000);

  it('403 Arrearage halts the fleet; calls wait without spending retries, the probe resumes it, none fails', async () => {
    const { llm, sim, limiter, log, registry } = await setup({ arrearage: true }, {}, { maxRetries: 0, haltProbeEveryMs: 300 });
    const all = texts(6, 'arrears');
    const pending = Promise.allSettled(all.map((text) => translateSingle(llm, { text })));
    // Halted fleet-wide within moments of the first 403.
    const deadline = Date.now() + 5000;
    while (!(await limiter.stats()).halted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await limiter.stats()).halted).toMatchObject({ reason: expect.stringContaining('Arrearage') });
    await new Promise((r) => setTimeout(r, 800));
    // Still refused: the probes found the account still in arrears and the fleet stayed halted.
    expect(sim.stats().rejected403).toBeGreaterThanOrEqual(2);
    sim.setArrearage(false);
    const results = await pending;
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect((await limiter.stats()).halted).toBeNull();
    expect(log.resumes.length).toBeGreaterThanOrEqual(1);
    expect(log.acquires.some((a) => a.probe)).toBe(true);
    expect(await metricSum(registry, 'llm_account_refusals_total')).toBe(sim.stats().rejected403);
    expect(await metricSum(registry, 'llm_requests_total', { outcome: 'ok' })).toBe(6);
  }, 60_000);
});
