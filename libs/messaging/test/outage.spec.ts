/**
 * Outages are not the message's fault: with a dependency gate, a handler
 * failing because its dependency is down holds its message (no nak, no
 * delivery spent), the runner pulls nothing more, and the work runs again
 * once the dependency's probe answers — however long that takes.
 */
import {
  collectRunnerStatus,
  createConsumerRunner,
  createDependencyGate,
  publish,
  queueStats,
  type ConsumerRunner,
  type DependencyGate,
  type HandlerContext,
  type InsightJob,
  type JobHandler,
  type RunnerOptions,
} from '../src/testing';
import { dlqCount, registry, silentLog, sleep, streamMessages, useQueues, waitFor } from './support';

jest.setTimeout(60_000);

/** A fake dependency: its errors are classified as its outage, its probe answers while it is up. */
class Dependency {
  up = true;
  probes = 0;
  constructor(readonly name: string) {}
  error(): Error {
    return Object.assign(new Error(`${this.name} is down`), { dependency: this.name });
  }
  check(): void {
    if (!this.up) throw this.error();
  }
}

function makeGate(...deps: Dependency[]): DependencyGate {
  return createDependencyGate({
    classify: (err) => (err as { dependency?: string }).dependency,
    probes: Object.fromEntries(
      deps.map((d) => [
        d.name,
        async () => {
          d.probes++;
          d.check();
        },
      ]),
    ),
    log: silentLog,
    probeIntervalMs: { min: 50, max: 200 },
  });
}

describe('consumer runner with a dependency gate', () => {
  // Two deliveries and a 2 s ack_wait: without holding, an outage of a few seconds would dead-letter everything.
  const { env, runners } = useQueues({ INSIGHT: { ackWaitMs: 2000, maxDeliver: 2, backoffMs: [] } });
  let testNo = 0;
  beforeEach(() => testNo++);
  const job = (i: number): InsightJob => ({ asin: 'B000OUTAGE', reviewIds: [`o-${testNo}-${i}`], learningVersion: 1 });

  /** A started INSIGHT runner with `gate` and 50 ms retries, stopped after the test. */
  async function startRunner(gate: DependencyGate, handler: JobHandler<'INSIGHT'>, over: Partial<RunnerOptions<'INSIGHT'>> = {}) {
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'INSIGHT',
      concurrency: 1,
      log: silentLog,
      registry: registry(),
      gate,
      retry: { baseMs: 50, maxMs: 50 },
      handler,
      ...over,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  }

  /** Publishes one job and waits until the runner dead-lettered it. */
  async function deadLettered(runner: ConsumerRunner, timeoutMs = 15_000) {
    await publish(env.js, 'INSIGHT', job(1));
    await waitFor('the dead letter', async () => (await dlqCount(env.jsm, 'INSIGHT')) === 1 && runner.stats.deadLettered === 1, timeoutMs);
  }

  it('holds a message through an outage longer than its whole delivery budget, then finishes it on its first delivery', async () => {
    const db = new Dependency('postgres');
    const gate = makeGate(db);
    const seen: { id: string; deliveryCount: number }[] = [];
    const runner = await startRunner(
      gate,
      async (j, ctx) => {
        db.check();
        seen.push({ id: j.reviewIds[0]!, deliveryCount: ctx.deliveryCount });
      },
      { concurrency: 2 },
    );
    db.up = false;
    await publish(env.js, 'INSIGHT', job(1));
    await waitFor('the outage noticed', () => !gate.isOpen());
    // Meanwhile more work arrives: the runner must not take it while waiting.
    await publish(env.js, 'INSIGHT', job(2));
    await publish(env.js, 'INSIGHT', job(3));
    await sleep(5000); // two and a half ack_waits, far beyond 2 deliveries with 50 ms retries
    expect(runner.status()).toMatchObject({ state: 'waiting', heldForOutage: 1, waitingFor: [expect.objectContaining({ dependency: 'postgres' })] });
    const ci = await env.jsm.consumers.info('INSIGHT', 'insight');
    expect(ci).toMatchObject({ num_ack_pending: 1, num_pending: 2, num_redelivered: 0 });
    expect(db.probes).toBeGreaterThan(3);

    db.up = true;
    // The handler records before its ack is confirmed: wait for the acks too.
    await waitFor('all three done', () => seen.length === 3 && runner.stats.succeeded === 3);
    expect(seen.map((s) => s.deliveryCount)).toEqual([1, 1, 1]);
    expect(await dlqCount(env.jsm, 'INSIGHT')).toBe(0);
    expect(runner.stats).toMatchObject({ succeeded: 3, retried: 0, heldForOutage: 1 });
    expect(runner.status().state).toBe('running');
  });

  it('still retries and dead-letters the message’s own failures', async () => {
    const gate = makeGate(new Dependency('postgres'));
    const runner = await startRunner(gate, async () => {
      throw new Error('this review is broken');
    });
    await deadLettered(runner);
    expect(runner.stats).toMatchObject({ retried: 1, deadLettered: 1, heldForOutage: 0 });
    expect(gate.isOpen()).toBe(true);
  });

  it('takes an "outage" that the dependency’s probe never confirms as the message’s own failure after a few tries', async () => {
    const gate = makeGate(new Dependency('postgres'));
    let calls = 0;
    const runner = await startRunner(gate, async () => {
      calls++;
      // e.g. a statement that times out on this message's data alone, while the server is fine
      throw Object.assign(new Error('statement timeout'), { dependency: 'postgres' });
    });
    await deadLettered(runner, 20_000);
    // 3 holds per delivery (the probe answers each time), 2 deliveries.
    expect(calls).toBe(6);
    expect(runner.stats.deadLettered).toBe(1);
  });

  it('keeps results across an outage with ctx.retryOnOutage: the write waits, the work is not redone', async () => {
    const db = new Dependency('postgres');
    const gate = makeGate(db);
    let computed = 0;
    const written: string[] = [];
    const runner = await startRunner(gate, async (j, ctx: HandlerContext) => {
      computed++; // the expensive part (LLM calls)
      // The database goes away right after it, for 2.5 s.
      db.up = false;
      setTimeout(() => (db.up = true), 2500);
      await ctx.retryOnOutage(async () => {
        db.check();
        written.push(j.reviewIds[0]!);
      });
    });
    await publish(env.js, 'INSIGHT', job(1));
    await waitFor('written and acked', () => written.length === 1 && runner.stats.succeeded === 1, 15_000);
    expect(computed).toBe(1);
    expect(runner.stats).toMatchObject({ succeeded: 1, retried: 0 });
  });

  it('gives held messages back at once on stop, without waiting out the shutdown timeout', async () => {
    const db = new Dependency('postgres');
    db.up = false;
    const gate = makeGate(db);
    const runner = await startRunner(gate, async () => db.check(), { concurrency: 2, shutdownTimeoutMs: 20_000 });
    await publish(env.js, 'INSIGHT', job(1));
    await waitFor('held', () => runner.status().heldForOutage === 1);
    const t0 = Date.now();
    await runner.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(runner.stats.released).toBe(1);
    // Handed back, not lost: still in its stream for the next process.
    expect(await streamMessages(env.jsm, 'INSIGHT')).toBe(1);
    gate.close();
  });

  it('shows the fleet which runners wait for what, and the DLQ by reason, in queueStats', async () => {
    const db = new Dependency('postgres');
    db.up = false;
    const gate = makeGate(db);
    const runner = await startRunner(gate, async () => db.check(), { identity: { service: 'insight-svc', node: 'test-node' } });
    const { serveRunnerStatus } = await import('../src/fleet-status');
    const sub = serveRunnerStatus(env.nc, () => [runner.status()], silentLog);
    try {
      await publish(env.js, 'INSIGHT', job(1));
      await waitFor('held', () => runner.status().heldForOutage === 1);
      const fleet = await collectRunnerStatus(env.nc, 300);
      expect(fleet).toEqual([
        expect.objectContaining({ service: 'insight-svc', node: 'test-node', queue: 'INSIGHT', state: 'waiting', heldForOutage: 1 }),
      ]);
      const stats = await queueStats(env.jsm, { nc: env.nc, runnersWaitMs: 300 });
      expect(stats.INSIGHT.runners).toMatchObject({ total: 1, waiting: 1, waitingFor: { postgres: 1 }, heldForOutage: 1 });
      expect(stats.REPORT.runners).toMatchObject({ total: 0 });
      expect(stats.INSIGHT.dlqByReason).toEqual({});
    } finally {
      sub.unsubscribe();
      db.up = true;
    }
  });
});
