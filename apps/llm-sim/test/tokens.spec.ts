import { buildInsightMessages, buildTranslateSingleMessages } from '@voc/prompts';
import { APIError } from 'openai';
import type { LlmSim } from '../src';
import { CHAT_MESSAGE_OVERHEAD, CHAT_REPLY_PRIMER, countTokens } from '../src/tokens';
import { MODEL, REVIEWS, openaiFor, startTestSim } from './support';

describe('llm-sim tokens: the Qwen tokenizer, max_tokens, the token limit, arrears', () => {
  it('counts with the real Qwen tokenizer (known ids), CJK included', () => {
    expect(countTokens('Hello, my dog is cute')).toBe(6);
    expect(countTokens('你好，世界！这是一个测试。')).toBe(7);
    expect(countTokens('')).toBe(0);
  });

  describe('over HTTP', () => {
    let sim: LlmSim;
    beforeAll(async () => {
      sim = await startTestSim({ rpsLimit: 0, tpmLimit: 60 * 3000 }); // 3000 tokens per second
    });
    afterAll(() => sim?.stop());
    beforeEach(() => {
      sim.resetStats();
      sim.setArrearage(false);
    });

    it('reports prompt tokens in ChatML framing and completion tokens of the answer', async () => {
      const messages = buildTranslateSingleMessages({ text: REVIEWS[0]! });
      const res = await openaiFor(sim).chat.completions.create({ model: MODEL, messages, max_tokens: 500 });
      const expected = messages.reduce((n, m) => n + countTokens(m.content) + CHAT_MESSAGE_OVERHEAD, CHAT_REPLY_PRIMER);
      expect(res.usage?.prompt_tokens).toBe(expected);
      expect(res.usage?.completion_tokens).toBe(countTokens(res.choices[0]!.message.content!));
      expect(res.choices[0]!.finish_reason).toBe('stop');
      // The limit saw prompt + max_tokens.
      expect(sim.stats().maxTokensIn1s).toBe(expected + 500);
    });

    it('honours max_tokens: the answer is cut there, finish_reason "length"', async () => {
      const messages = buildInsightMessages({ review: REVIEWS[1]!, dimensions: [{ name: '性价比' }, { name: '易用性' }] });
      const res = await openaiFor(sim).chat.completions.create({ model: MODEL, messages, max_tokens: 12 });
      expect(res.choices[0]!.finish_reason).toBe('length');
      expect(res.usage?.completion_tokens).toBe(12);
      expect(countTokens(res.choices[0]!.message.content!)).toBeLessThanOrEqual(13);
    });

    it('refuses calls over the token limit with 429 insufficient_quota, shaped like the provider', async () => {
      const messages = buildTranslateSingleMessages({ text: 'short' });
      const client = openaiFor(sim);
      // Each call reserves ~250 prompt + 1000: the third in one second is over 3000.
      const results = await Promise.allSettled(Array.from({ length: 3 }, () => client.chat.completions.create({ model: MODEL, messages, max_tokens: 1000 })));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as APIError);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]!.status).toBe(429);
      expect(rejected[0]!.code).toBe('insufficient_quota');
      expect(Number(rejected[0]!.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const s = sim.stats();
      expect(s.rejected429ByCause).toEqual({ requests: 0, tokens: 1, burst: 0 });
      expect(s.maxTokensIn1s).toBeLessThanOrEqual(3000);

      const raw = await fetch(`${sim.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages, max_tokens: 2900 }),
      });
      expect(raw.status).toBe(429);
      expect(await raw.json()).toMatchObject({
        error: { code: 'insufficient_quota', type: 'insufficient_quota' },
        code: 'Throttling.AllocationQuota',
        request_id: expect.any(String),
      });
    });

    it('a call without max_tokens reserves the model default maximum', async () => {
      const messages = buildTranslateSingleMessages({ text: 'short' });
      const big = await startTestSim({ rpsLimit: 0, tpmLimit: 60 * 8000, defaultMaxTokens: 8192 });
      try {
        await expect(openaiFor(big).chat.completions.create({ model: MODEL, messages })).rejects.toMatchObject({ status: 429, code: 'insufficient_quota' });
        await expect(openaiFor(big).chat.completions.create({ model: MODEL, messages, max_tokens: 100 })).resolves.toBeDefined();
      } finally {
        await big.stop();
      }
    });

    it('403 Arrearage while the account is in arrears, served again once settled', async () => {
      const client = openaiFor(sim);
      const messages = buildTranslateSingleMessages({ text: 'x' });
      sim.setArrearage(true);
      await expect(client.chat.completions.create({ model: MODEL, messages, max_tokens: 50 })).rejects.toMatchObject({ status: 403, code: 'Arrearage' });
      const off = await fetch(`http://127.0.0.1:${sim.port}/admin/arrearage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"on":false}' });
      expect(await off.json()).toEqual({ arrearage: false });
      await expect(client.chat.completions.create({ model: MODEL, messages, max_tokens: 50 })).resolves.toBeDefined();
      expect(sim.stats().rejected403).toBe(1);
      const bad = await fetch(`http://127.0.0.1:${sim.port}/admin/arrearage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"on":"yes"}' });
      expect(bad.status).toBe(400);
    });

    it('reports a repeated long system prompt as cached tokens', async () => {
      const messages = buildInsightMessages({ review: REVIEWS[2]!, dimensions: [{ name: '外观设计' }] });
      const client = openaiFor(sim);
      const first = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 400 });
      const second = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 400 });
      expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
      expect(second.usage?.prompt_tokens_details?.cached_tokens).toBe(countTokens(messages[0]!.content) + CHAT_MESSAGE_OVERHEAD);
    });

    it('rejects a max_tokens that is not a positive integer with 400', async () => {
      const res = await fetch(`${sim.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }),
      });
      expect(res.status).toBe(400);
    });
  });
});
