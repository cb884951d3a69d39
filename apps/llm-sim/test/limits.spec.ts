import { buildTranslateSingleMessages } from '@voc/prompts';
import { RateLimitError } from 'openai';
import { SimClient, type LlmSim } from '../src';
import { MODEL, openaiFor, startTestSim } from './support';

describe('llm-sim account limit (429) and /stats', () => {
  let sim: LlmSim;
  beforeAll(async () => {
    sim = await startTestSim({ rpsLimit: 5, latencyMs: 50, jitterMs: 20 });
  });
  afterAll(() => sim?.stop());
  beforeEach(async () => {
    await fetch(`http://127.0.0.1:${sim.port}/stats/reset`, { method: 'POST' });
  });

  it('answers a burst above the limit with 429 + Retry-After, and counts the rejected in maxRequestsIn1s', async () => {
    const client = openaiFor(sim);
    const burst = 30;
    const results = await Promise.allSettled(
      Array.from({ length: burst }, (_, i) =>
        client.chat.completions.create({ model: MODEL, messages: buildTranslateSingleMessages({ text: `review ${i}` }) }),
      ),
    );
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as unknown);
    const answered = results.length - rejected.length;
    for (const err of rejected) {
      expect(err).toBeInstanceOf(RateLimitError);
      const e = err as RateLimitError;
      expect(e.headers.get('retry-after')).toBe('1');
      expect(e.code).toBe('limit_requests');
      expect(e.message).toContain('Requests rate limit exceeded');
    }
    // At most `limit` answers per second; the burst spans well under 6 s even on a slow machine.
    expect(answered).toBeGreaterThanOrEqual(5);
    expect(rejected.length).toBeGreaterThan(0);

    const stats = (await (await fetch(`http://127.0.0.1:${sim.port}/stats`)).json()) as ReturnType<LlmSim['stats']>;
    expect(stats.requests).toBe(burst);
    expect(stats.byKind.translate_single).toBe(burst);
    expect(stats.rejected429).toBe(rejected.length);
    expect(stats.rejected429ByCause).toEqual({ requests: rejected.length, tokens: 0, burst: 0 });
    // Received, answered or not: far above the 5 that were allowed through.
    expect(stats.maxRequestsIn1s).toBeGreaterThan(5);
    expect(stats.maxRequestsIn1s).toBeLessThanOrEqual(burst);
  }, 30_000);

  it('lets requests through again once the window has passed', async () => {
    const client = openaiFor(sim);
    const send = () => client.chat.completions.create({ model: MODEL, messages: buildTranslateSingleMessages({ text: 'again' }) });
    await Promise.allSettled(Array.from({ length: 10 }, send));
    await new Promise((r) => setTimeout(r, 1100));
    await expect(send()).resolves.toBeDefined();
  }, 30_000);

  it('POST /stats/reset zeroes every counter', async () => {
    const client = openaiFor(sim);
    await client.chat.completions.create({ model: MODEL, messages: buildTranslateSingleMessages({ text: 'x' }) });
    expect(sim.stats().requests).toBe(1);
    expect(sim.stats().tokens.prompt).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${sim.port}/stats/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      requests: 0,
      byKind: { translate_single: 0, translate_batch: 0, insight: 0, theme: 0, learning: 0, other: 0 },
      rejected429: 0,
      rejected429ByCause: { requests: 0, tokens: 0, burst: 0 },
      rejected403: 0,
      errors5xx: 0,
      malformed: 0,
      tokens: { prompt: 0, completion: 0, cached: 0, counted: 0 },
      maxRequestsIn1s: 0,
      maxTokensIn1s: 0,
      maxTokensIn60s: 0,
    });
  });

  it('SimClient reads /stats and resets them over HTTP, as for llm-sim in its own process', async () => {
    await openaiFor(sim).chat.completions.create({ model: MODEL, messages: buildTranslateSingleMessages({ text: 'y' }) });
    const client = new SimClient(`http://127.0.0.1:${sim.port}`);
    expect(await client.stats()).toEqual(sim.stats());
    expect((await client.stats()).requests).toBe(1);
    await client.reset();
    expect(sim.stats().requests).toBe(0);
    await expect(new SimClient(`http://127.0.0.1:${sim.port}/nowhere`).stats()).rejects.toThrow('llm-sim GET /stats answered 404');
  });

  it('counts a body that is not JSON as a request of kind other and answers 400', async () => {
    const res = await fetch(`${sim.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(sim.stats()).toMatchObject({ requests: 1, byKind: { other: 1 } });
  });

  it('serves /healthz and /metrics from service-kit', async () => {
    expect((await fetch(`http://127.0.0.1:${sim.port}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${sim.port}/metrics`)).text()).toContain('service="llm-sim"');
  });
});
