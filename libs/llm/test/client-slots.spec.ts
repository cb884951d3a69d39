import { Registry } from 'prom-client';
import type { LlmSim } from '@voc/llm-sim';
import { CallSlots } from '../src';
import { translateSingle } from '../src/tasks/translate';
import { testClient } from './support/client';
import { startTestSim } from './support/sim';

describe('LLM client with call slots (issue 12 item 1)', () => {
  let sim: LlmSim;
  beforeAll(async () => {
    sim = await startTestSim({ latencyMs: 150, jitterMs: 0, rpsLimit: 0 });
  }, 60_000);
  afterAll(() => sim?.stop());

  it('keeps at most `limit` calls at the limiter or the provider, queues the rest, and counts their grants', async () => {
    const slots = new CallSlots({ floor: 3, ceiling: 3, tickMs: 60_000, service: 'llm-test', registry: new Registry() });
    const t = testClient(sim.baseUrl, { slots });
    let maxActive = 0;
    let maxQueued = 0;
    const watch = setInterval(() => {
      const s = slots.state();
      maxActive = Math.max(maxActive, s.active);
      maxQueued = Math.max(maxQueued, s.queued);
    }, 5);
    const texts = Array.from({ length: 9 }, (_, i) => `Slot review ${i}.`);
    const before = sim.stats().requests;
    try {
      await Promise.all(texts.map((text) => translateSingle(t.client, { text })));
    } finally {
      clearInterval(watch);
      slots.close();
    }
    expect(sim.stats().requests - before).toBe(9);
    expect(maxActive).toBe(3);
    expect(maxQueued).toBeGreaterThanOrEqual(5);
    expect(slots.state()).toEqual({ limit: 3, active: 0, atLimiter: 0, queued: 0 });
    // The grants were counted for the sizing rule: a tick now sees a rate > 0 and nothing waiting.
    slots.tick();
    expect(slots.lastDecision).toBe('hold');
  }, 30_000);

  it('grows while calls wait for slots and the limiter keeps up, so a burst finishes at the provider\'s pace', async () => {
    const slots = new CallSlots({ floor: 2, ceiling: 64, tickMs: 50, service: 'llm-test', registry: new Registry() });
    const t = testClient(sim.baseUrl, { slots });
    const texts = Array.from({ length: 60 }, (_, i) => `Burst slot review ${i}.`);
    try {
      await Promise.all(texts.map((text) => translateSingle(t.client, { text })));
    } finally {
      slots.close();
    }
    // 60 calls of 150 ms at 2 at a time would take 4.5 s; growing, the limit passed 2 many times over.
    expect(slots.state().limit).toBeGreaterThan(8);
  }, 30_000);
});
