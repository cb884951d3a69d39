import {
  FIVE_W,
  SENTIMENTS,
  buildInsightMessages,
  buildLearningMessages,
  buildThemeMessages,
  buildTranslateBatchMessages,
  buildTranslateSingleMessages,
  parseInsightAnswer,
  parseLearningAnswer,
  parseThemeAnswer,
  parseTranslateBatchAnswer,
  type ChatMessage,
} from '@voc/prompts';
import type OpenAI from 'openai';
import type { LlmSim } from '../src';
import { translationFingerprint } from '../src/text';
import { MODEL, REVIEWS, openaiFor, startTestSim } from './support';

const DIMENSIONS = [{ name: '电池续航' }, { name: '产品质量' }, { name: '性价比' }, { name: '易用性' }, { name: '售后服务' }];
const LABELS = {
  who: [{ name: '宝妈宝爸' }, { name: '上班族' }],
  when: [{ name: '节日送礼' }, { name: '日常使用' }],
  where: [{ name: '家中' }, { name: '办公室' }],
  what: [{ name: '娱乐休闲' }],
  why: [{ name: '价格实惠' }, { name: '好评推荐' }],
};

describe('llm-sim answers (real openai client)', () => {
  let sim: LlmSim;
  let other: LlmSim;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startTestSim({ seed: 'alpha' });
    other = await startTestSim({ seed: 'beta' });
    client = openaiFor(sim);
  });
  afterAll(async () => {
    await sim?.stop();
    await other?.stop();
  });

  const ask = async (messages: ChatMessage[], via: OpenAI = client) => {
    const r = await via.chat.completions.create({ model: MODEL, messages });
    return { r, content: r.choices[0]?.message.content ?? '' };
  };

  it('answers like the provider: id, model, finish_reason and usage estimated from text length', async () => {
    const short = await ask(buildTranslateSingleMessages({ text: 'Fine.' }));
    const long = await ask(buildTranslateSingleMessages({ text: REVIEWS.join(' ').repeat(5) }));
    expect(short.r.id).toMatch(/^chatcmpl-/);
    expect(short.r.model).toBe(MODEL);
    expect(short.r.choices[0]?.finish_reason).toBe('stop');
    for (const { r } of [short, long]) {
      const u = r.usage!;
      expect(u.prompt_tokens).toBeGreaterThan(0);
      expect(u.completion_tokens).toBeGreaterThan(0);
      expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    }
    expect(long.r.usage!.prompt_tokens).toBeGreaterThan(short.r.usage!.prompt_tokens + 200);
    expect(long.r.usage!.completion_tokens).toBeGreaterThan(short.r.usage!.completion_tokens);
    expect(long.r.id).not.toBe(short.r.id);
  });

  it('translate_single: the answer carries the fingerprint of exactly its text', async () => {
    for (const text of REVIEWS) {
      const { content } = await ask(buildTranslateSingleMessages({ text, rating: 5 }));
      expect(content.startsWith(`【译文·${translationFingerprint(text)}】`)).toBe(true);
      expect(content.length).toBeGreaterThan(15);
    }
  });

  it('translate_batch: the same keys, each value the translation of that key', async () => {
    const { content } = await ask(buildTranslateBatchMessages(REVIEWS));
    const input = Object.fromEntries(REVIEWS.map((t, i) => [`r${i + 1}`, t]));
    const out = parseTranslateBatchAnswer(content, input);
    expect(Object.keys(out).sort()).toEqual(Object.keys(input).sort());
    for (const [key, text] of Object.entries(input)) expect(out[key]).toContain(`【译文·${translationFingerprint(text)}】`);
    // A batch value equals the single translation of the same text.
    const single = await ask(buildTranslateSingleMessages({ text: REVIEWS[2]! }));
    expect(out.r3).toBe(single.content);
  });

  it('insight: 3–5 insights on given dimensions, verbatim quotes, known sentiments', async () => {
    for (const review of REVIEWS) {
      const input = { review, dimensions: DIMENSIONS, rating: 2 };
      const { content } = await ask(buildInsightMessages(input));
      const raw = JSON.parse(content) as { insights: { dimension: string; sentiment: string; quote: string; analysis: string }[] };
      expect(raw.insights.length).toBeGreaterThanOrEqual(3);
      expect(raw.insights.length).toBeLessThanOrEqual(5);
      for (const i of raw.insights) {
        expect(DIMENSIONS.map((d) => d.name)).toContain(i.dimension);
        expect(SENTIMENTS).toContain(i.sentiment);
        expect(review.includes(i.quote)).toBe(true);
        expect(i.analysis).toMatch(/[\u4e00-\u9fff]/);
      }
      expect(parseInsightAnswer(content, input)).toHaveLength(raw.insights.length);
    }
  });

  it('theme: labels of the given categories, verbatim quotes', async () => {
    for (const review of REVIEWS) {
      const input = { review, labels: LABELS };
      const { content } = await ask(buildThemeMessages(input));
      const themes = parseThemeAnswer(content, input);
      expect(themes.length).toBeGreaterThanOrEqual(1);
      for (const t of themes) {
        expect(LABELS[t.category].map((l) => l.name)).toContain(t.label);
        expect(review.includes(t.quote)).toBe(true);
      }
    }
  });

  it('learning: 5–8 dimensions and labels for every 5W category, driven by the sample', async () => {
    const batteryReviews = ['The battery dies fast.', 'Charging takes forever, battery is weak.', 'Battery life is poor, charger broke.'];
    const { content } = await ask(buildLearningMessages({ asin: 'B0TEST', title: 'Wireless earbuds', sampleReviews: batteryReviews }));
    const model = parseLearningAnswer(content);
    expect(model.dimensions.length).toBeGreaterThanOrEqual(5);
    expect(model.dimensions.length).toBeLessThanOrEqual(8);
    for (const w of FIVE_W) expect(model.labels[w].length).toBeGreaterThanOrEqual(2);
    expect(model.dimensions.map((d) => d.name)).toContain('电池续航');
  });

  it('is deterministic: same request and seed → same answer; another seed → another answer', async () => {
    const requests = [
      buildTranslateSingleMessages({ text: REVIEWS[0]! }),
      buildInsightMessages({ review: REVIEWS[1]!, dimensions: DIMENSIONS }),
      buildLearningMessages({ asin: 'B0X', sampleReviews: REVIEWS }),
    ];
    for (const messages of requests) {
      const a = await ask(messages);
      const b = await ask(messages);
      const c = await ask(messages, openaiFor(other));
      expect(b.content).toBe(a.content);
      expect(c.content).not.toBe(a.content);
    }
  });

  it('answers prompts it does not know as kind "other", and lists models', async () => {
    const before = sim.stats().byKind.other;
    const { content } = await ask([{ role: 'user', content: 'Hello there' }]);
    expect(content.length).toBeGreaterThan(0);
    expect(sim.stats().byKind.other).toBe(before + 1);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('qwen-plus-latest');
  });

  it('rejects an unreadable input of a recognised prompt with 400', async () => {
    const messages = buildTranslateBatchMessages(['x']);
    messages[1] = { role: 'user', content: 'not json at all' };
    await expect(ask(messages)).rejects.toMatchObject({ status: 400 });
  });
});

describe('llm-sim API key', () => {
  let sim: LlmSim;
  beforeAll(async () => {
    sim = await startTestSim({ apiKey: 'secret' });
  });
  afterAll(() => sim?.stop());

  it('requires the Bearer key when LLM_SIM_API_KEY is set', async () => {
    const messages = buildTranslateSingleMessages({ text: 'ok' });
    await expect(openaiFor(sim, 'wrong').chat.completions.create({ model: MODEL, messages })).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
    const ok = await openaiFor(sim, 'secret').chat.completions.create({ model: MODEL, messages });
    expect(ok.choices[0]?.message.content).toContain('【译文·');
  });
});
