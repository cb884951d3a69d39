import { setMaxListeners } from 'node:events';
import * as net from 'node:net';
import { Registry } from 'prom-client';
import { createRateLimiter, maxInSlidingWindow } from '../src';
import { watchedCount } from '../src/checkpoint';
import { metricValue, sleep, useRedis } from './support';

jest.setTimeout(60_000);

const env = useRedis();

/**
 * Keeps the event loop busy the way a service under the pipeline does: every
 * turn of the loop, 20 I/O callbacks (socket data: query results, LLM
 * answers, messages) are ready at once and each works 2 ms and continues in
 * a promise, so the timers phase comes up to 40 ms late. Returns the share of
 * the callbacks' time this process was not running (gaps between two reads
 * of the clock in their busy loops: the machine's other processes had the CPU).
 */
async function busyPollPhases(ms: number): Promise<number> {
  let busyMs = 0;
  let stolenMs = 0;
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  const clients = await Promise.all(
    Array.from(
      { length: 20 },
      () =>
        new Promise<net.Socket>((r) => {
          const c = net.connect(port, '127.0.0.1', () => r(c));
        }),
    ),
  );
  while (accepted.length < clients.length) await new Promise((r) => setImmediate(r));
  for (const c of clients) {
    c.on('data', async () => {
      const start = performance.now();
      let last = start;
      while (last < start + 2) {
        // Busy: a query's result, a parsed answer. A gap between two reads is time the OS gave others.
        const now = performance.now();
        if (now - last > 0.2) stolenMs += now - last;
        last = now;
      }
      busyMs += last - start;
      await null;
    });
  }
  const until = performance.now() + ms;
  while (performance.now() < until) {
    for (const s of accepted) s.write('x');
    await new Promise((r) => setImmediate(r));
  }
  for (const c of clients) c.destroy();
  await new Promise((r) => server.close(r));
  return stolenMs / Math.max(1, busyMs);
}

/**
 * One limiter saturated by 10 callers for 3 s of busy poll phases: how many
 * due slots it reached within the margin, how long after each grant its
 * caller went on (where its request would be sent), and how much of the
 * time the machine's other processes took.
 */
async function run(key: string, checkpoints: boolean) {
  const R = 100;
  const registry = new Registry();
  const limiter = createRateLimiter({ redis: env.clients.create(), key, rps: R, registry, rampMs: 0, fenceMs: 0, marginMs: 10, checkpoints });
  const stop = new AbortController();
  setMaxListeners(Infinity, stop.signal);
  const grants: { at: number; resumedAt: number }[] = [];
  const callers = Array.from({ length: 10 }, async () => {
    while (!stop.signal.aborted) {
      try {
        const g = await limiter.acquire({ signal: stop.signal });
        grants.push({ at: g.grantedAt, resumedAt: performance.now() });
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      }
    }
  });
  await sleep(200);
  const stolen = await busyPollPhases(3000);
  stop.abort();
  await Promise.all(callers);
  await limiter.close();
  const seen = await metricValue(registry, 'rate_limiter_dispatch_lateness_seconds', { key, le: '+Inf' });
  const onTime = await metricValue(registry, 'rate_limiter_dispatch_lateness_seconds', { key, le: '0.01' });
  const resumeMs = grants.map((g) => g.resumedAt - g.at).sort((a, b) => a - b);
  return {
    R,
    seen,
    onTime,
    stolen,
    times: grants.map((g) => g.at),
    resumeP95: resumeMs[Math.floor(0.95 * (resumeMs.length - 1))]!,
  };
}

describe('dispatch checkpoints', () => {
  it('hand out slots that fall due among I/O callbacks within the margin, where the timer comes late', async () => {
    const without = await run('no-checkpoints', false);
    const withCp = await run('checkpoints', true);
    // Enough due slots to tell the two apart (CI's parallel suites slow the callers down: 38 in 2 s once).
    expect(without.seen).toBeGreaterThan(20);
    expect(withCp.seen).toBeGreaterThan(20);
    // The timer alone reaches many slots after the 40-ms poll phases, past the margin.
    expect(without.onTime / without.seen).toBeLessThan(0.6);
    // Checked at the end of each callback, slots are handed out on time unless the OS holds this
    // process past the margin, which no order of work in it can help: alone 97-98 % on time (the
    // timer alone 12-20 %); 89 % beside another copy of this test; 38 % under CI's parallel suites;
    // 11 % against 4 % with the other processes taking 73 % of its time. So how much is asserted
    // follows the share of the busy callbacks' time the machine took (`stolen`, measured).
    const gain = withCp.onTime / withCp.seen - without.onTime / without.seen;
    if (withCp.stolen < 0.3) expect(gain).toBeGreaterThan(0.1);
    if (withCp.stolen < 0.05) expect(withCp.onTime / withCp.seen).toBeGreaterThan(0.75);
    // A grant is made where its caller goes on at once (not in the middle of a drain of continuations).
    if (withCp.stolen < 0.3) expect(withCp.resumeP95).toBeLessThan(5);
    // The guarantee is the same either way.
    expect(maxInSlidingWindow(withCp.times).count).toBeLessThanOrEqual(withCp.R);
    // A closed limiter is no longer checked (the hook is gone with the last one).
    expect(watchedCount()).toBe(0);
  });
});
