import { createServer } from 'node:net';
import { MalformedAnswerError } from '@voc/prompts';
import { LlmRequestError } from '../src/errors';
import { translateSingle } from '../src/tasks/translate';
import { metricSum, testClient } from './support/client';
import { translationTag, type LlmSim } from '@voc/llm-sim';
import { startTestSim } from './support/sim';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('LLM client resilience against llm-sim', () => {
  let flaky: LlmSim;
  let limited: LlmSim;
  let slowWithKey: LlmSim;
  let garbled: LlmSim;

  beforeAll(async () => {
    [flaky, limited, slowWithKey, garbled] = await Promise.all([
      startTestSim({ errorRate: 0.3, rpsLimit: 0, seed: 'flaky' }),
      startTestSim({ rpsLimit: 3, latencyMs: 50, jitterMs: 10 }),
      startTestSim({ latencyMs: 3000, jitterMs: 0, apiKey: 'secret' }),
      startTestSim({ malformedRate: 1 }),
    ]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([flaky, limited, slowWithKey, garbled].map((s) => s?.stop()));
  });

  it('retries 5xx answers until they succeed, and counts the retries', async () => {
    const t = testClient(flaky.baseUrl, { maxRetries: 10 });
    const texts = Array.from({ length: 40 }, (_, i) => `Review ${i} about the battery.`);
    const out = await Promise.all(texts.map((text) => translateSingle(t.client, { text })));
    out.forEach((o, i) => expect(o.startsWith(translationTag(texts[i]!))).toBe(true));
    const stats = flaky.stats();
    expect(stats.errors5xx).toBeGreaterThan(0);
    expect(await metricSum(t.registry, 'llm_requests_total', { outcome: 'server_error' })).toBe(stats.errors5xx);
    expect(await metricSum(t.registry, 'llm_retries_total', { reason: 'server_error' })).toBe(stats.errors5xx);
    expect(await metricSum(t.registry, 'llm_requests_total', { outcome: 'ok' })).toBe(40);
    expect(t.limiter.acquired).toHaveLength(stats.requests);
  }, 60_000);

  it('on 429 pauses the limiter for the Retry-After and still succeeds', async () => {
    const t = testClient(limited.baseUrl, { maxRetries: 10 });
    const texts = Array.from({ length: 9 }, (_, i) => `Burst review ${i}.`);
    const out = await Promise.all(texts.map((text) => translateSingle(t.client, { text, asin: 'B0RATE' })));
    out.forEach((o, i) => expect(o.startsWith(translationTag(texts[i]!))).toBe(true));
    const stats = limited.stats();
    expect(stats.rejected429).toBeGreaterThan(0);
    // The sim sends Retry-After: 1, so the whole fleet pauses 1 s per 429.
    expect(t.limiter.pauses.length).toBe(stats.rejected429);
    for (const p of t.limiter.pauses) expect(p).toEqual({ ms: 1000, reason: expect.stringContaining('429'), cause: 'requests' });
    // A refused call counted no tokens: its reservation was given back.
    expect(t.limiter.acquires.filter((a) => a.settled === 0)).toHaveLength(stats.rejected429);
    expect(await metricSum(t.registry, 'llm_retries_total', { reason: 'rate_limited' })).toBe(stats.rejected429);
  }, 60_000);

  it('retries timeouts, then fails with the call context', async () => {
    const t = testClient(slowWithKey.baseUrl, { apiKey: 'secret', timeoutMs: 300, maxRetries: 1 });
    const err = await translateSingle(t.client, { text: 'slow', asin: 'B0SLOW' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRequestError);
    expect(err).toMatchObject({ reason: 'timeout', retryable: true, context: { kind: 'translate_single', asin: 'B0SLOW', attempt: 2 } });
    expect((err as Error).message).toMatch(/asin=B0SLOW/);
    expect(t.limiter.acquired).toHaveLength(2);
  }, 30_000);

  it('does not retry a non-retryable 4xx (401)', async () => {
    const t = testClient(slowWithKey.baseUrl, { apiKey: 'wrong' });
    const err = await translateSingle(t.client, { text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, reason: 'client_error', retryable: false, context: { attempt: 1 } });
    expect(t.limiter.acquired).toHaveLength(1);
    expect(await metricSum(t.registry, 'llm_retries_total')).toBe(0);
  }, 30_000);

  it('retries connection errors, then fails', async () => {
    const t = testClient(`http://127.0.0.1:${await closedPort()}/v1`, { maxRetries: 2 });
    const err = await translateSingle(t.client, { text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'connection_error', context: { attempt: 3 } });
    expect(await metricSum(t.registry, 'llm_retries_total', { reason: 'connection_error' })).toBe(2);
  }, 30_000);

  it('retries a malformed answer once, then throws MalformedAnswerError; tokens are still reported', async () => {
    const t = testClient(garbled.baseUrl);
    const err = await translateSingle(t.client, { text: 'Always garbled', asin: 'B0BAD' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedAnswerError);
    expect((err as MalformedAnswerError).context).toMatchObject({ kind: 'translate_single', asin: 'B0BAD', service: 'llm-test' });
    expect(t.usage).toHaveLength(2);
    expect(t.usage.every((u) => !u.ok && u.promptTokens > 0)).toBe(true);
    expect(await metricSum(t.registry, 'llm_requests_total', { outcome: 'malformed' })).toBe(2);
  }, 30_000);

  it('a failing onUsage hook never fails the call', async () => {
    const errors: unknown[] = [];
    const log = { debug: () => undefined, warn: () => undefined, error: (o: object) => void errors.push(o) };
    const t = testClient(flaky.baseUrl, {
      maxRetries: 10,
      log,
      onUsage: async () => {
        throw new Error('db down');
      },
    });
    await expect(translateSingle(t.client, { text: 'hook' })).resolves.toContain(translationTag('hook'));
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
  }, 30_000);
});
