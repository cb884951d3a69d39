import { startupJitter } from '../src/startup-jitter';

describe('startupJitter (seed 001)', () => {
  it.each([
    ['vip', 0, 100],
    ['vip', 1, 500],
    ['normal', 0, 200],
    ['normal', 1, 1000],
    ['normal', 0.5, 600],
  ] as const)('%s with random()=%p sleeps %p ms', async (priority, r, ms) => {
    const started = performance.now();
    await expect(startupJitter(priority, () => r)).resolves.toBe(ms);
    // Timers never fire early by more than a millisecond.
    expect(performance.now() - started).toBeGreaterThanOrEqual(ms - 1);
  });

  it('stays within the seed ranges for any random value', async () => {
    const values = await Promise.all(Array.from({ length: 20 }, () => startupJitter('vip', Math.random)));
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(100);
      expect(v).toBeLessThanOrEqual(500);
    }
  });

  it('stops early when aborted', async () => {
    const ac = new AbortController();
    const p = startupJitter('normal', () => 1, ac.signal);
    ac.abort(new Error('shutting down'));
    await expect(p).rejects.toThrow('shutting down');
  });
});
