import { buildTranslateSingleMessages } from '@voc/prompts';
import type { LlmSim } from '../src';
import { MODEL, startTestSim } from './support';

// A later benchmark holds ~1,600 calls open at a slow provider: llm-sim must keep them all at once.
describe('llm-sim capacity', () => {
  let sim: LlmSim;
  beforeAll(async () => {
    sim = await startTestSim({ rpsLimit: 0, latencyMs: 4000, jitterMs: 0 });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('holds 1,600 open requests at once (each answered after its latency, not one after another)', async () => {
    const body = JSON.stringify({ model: MODEL, messages: buildTranslateSingleMessages({ text: 'Held open.' }), max_tokens: 64 });
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 1600 }, async () => {
        const res = await fetch(`${sim.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    const elapsed = Date.now() - started;
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(sim.stats().requests).toBe(1600);
    // Served in parallel: within three latencies (sending 1,600 requests takes a while on a busy machine), where one at a time would take 1,600 × 4 s.
    expect(elapsed).toBeLessThan(4000 * 3);
  }, 60_000);
});
