import { createRateLimiters, limiterConfigFromEnv, RateLimiterClosedError } from '../src';
import { Load, sleep, useRedis, waitFor, QUICK } from './support';

jest.setTimeout(30_000);

const env = useRedis();

describe('createRateLimiters', () => {
  it('defaults to qwen-plus-latest at 200 and qwen3-max at 8', async () => {
    const set = createRateLimiters(env.clients.create());
    expect(set.keys).toEqual(['qwen-plus-latest', 'qwen3-max']);
    expect(set.limiterFor('qwen-plus-latest').rps).toBe(200);
    expect(set.limiterFor('qwen3-max').rps).toBe(8);
    await set.close();
  });

  it('builds one limiter per configured model, from the environment', async () => {
    const config = limiterConfigFromEnv({ LLM_MODEL: 'qwen3-max', LLM_MODEL_LIMITS: 'other=20' });
    const set = createRateLimiters(env.clients.create(), config.limits);
    const limiter = set.limiterFor(config.model);
    expect(limiter.rps).toBe(8);
    expect(() => set.limiterFor('gpt-unknown')).toThrow(/no rate limit configured for 'gpt-unknown'.*qwen3-max/);
    await set.close();
  });

  it('shares one subscriber: a pause on one process reaches the others, key by key', async () => {
    const a = createRateLimiters(env.clients.create(), { x: 20, y: 20 }, QUICK);
    const b = createRateLimiters(env.clients.create(), { x: 20, y: 20 }, QUICK);
    const load = new Load().saturate(b.limiterFor('x'), 5, 'x').saturate(b.limiterFor('y'), 5, 'y');
    await sleep(800);
    await a.limiterFor('x').pause(3000, 'test');
    const pausedAt = performance.now();
    const stats = await b.stats();
    const after = (who: string) => load.times((g) => g.who === who && g.at > pausedAt + 100 + QUICK.marginMs && g.at < pausedAt + 2900);
    await waitFor('grants on y during the pause of x', () => after('y').length > 5);
    await load.end();
    expect(after('x')).toEqual([]);
    expect(stats.map((s) => [s.key, s.pausedUntilMs !== null])).toEqual([
      ['x', true],
      ['y', false],
    ]);
    await Promise.all([a.close(), b.close()]);
    await expect(b.limiterFor('y').acquire()).rejects.toBeInstanceOf(RateLimiterClosedError);
  });
});
