import { retryStartup, startFresh } from '../src/retry';

const log = { warn: jest.fn(), info: jest.fn(), error: jest.fn(), debug: jest.fn() } as never;

describe('start-up retries', () => {
  it('starts a fresh runner after a start that failed (JetStream 503 while leaders are elected), and returns the one that started', async () => {
    const made: { n: number; started: boolean }[] = [];
    const runner = await startFresh(
      'starting consumer TEST',
      () => {
        const r = {
          n: made.length,
          started: false,
          async start() {
            if (r.n < 2) throw new Error('503 no responders');
            r.started = true;
          },
        };
        made.push(r);
        return r;
      },
      log,
      6,
      1,
    );
    expect(made.map((r) => r.started)).toEqual([false, false, true]);
    expect(runner).toBe(made[2]);
  });

  it('gives up after its attempts with the last error, naming what failed', async () => {
    let calls = 0;
    await expect(
      retryStartup('provisioning consumer TEST', async () => {
        calls++;
        throw new Error('timeout');
      }, log, 3, 1),
    ).rejects.toThrow('provisioning consumer TEST: failed after 3 attempts: timeout');
    expect(calls).toBe(3);
  });
});
