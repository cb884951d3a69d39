import {
  MalformedAnswerError,
  buildInsightMessages,
  buildLearningMessages,
  buildThemeMessages,
  buildTranslateBatchMessages,
  buildTranslateSingleMessages,
  parseInsightAnswer,
  parseLearningAnswer,
  parseThemeAnswer,
  parseTranslateBatchAnswer,
  parseTranslateSingleAnswer,
  readInsightRequest,
  readThemeRequest,
  type ChatMessage,
  type PromptKind,
} from '@voc/prompts';
import { APIError } from 'openai';
import type { LlmSim } from '../src';
import { generateAnswer } from '../src/answers';
import { MALFORMED_VARIANTS, malform, type MalformedVariant } from '../src/faults';
import { Rng } from '../src/random';
import { MODEL, REVIEWS, openaiFor, startTestSim } from './support';

const DIMENSIONS = [{ name: '电池续航' }, { name: '产品质量' }, { name: '性价比' }];
const LABELS = { who: [{ name: '宝妈宝爸' }], when: [{ name: '节日送礼' }], where: [{ name: '家中' }] };

const requests: Record<Exclude<PromptKind, 'other'>, ChatMessage[]> = {
  translate_single: buildTranslateSingleMessages({ text: REVIEWS[0]! }),
  translate_batch: buildTranslateBatchMessages(REVIEWS),
  insight: buildInsightMessages({ review: REVIEWS[0]!, dimensions: DIMENSIONS }),
  theme: buildThemeMessages({ review: REVIEWS[0]!, labels: LABELS }),
  learning: buildLearningMessages({ asin: 'B0X', sampleReviews: REVIEWS }),
};

/** The strict parser of @voc/prompts for each kind, applied to an answer of `messages`. */
function parserFor(kind: Exclude<PromptKind, 'other'>, messages: ChatMessage[]): (answer: string) => unknown {
  switch (kind) {
    case 'translate_single':
      return parseTranslateSingleAnswer;
    case 'translate_batch': {
      const input = JSON.parse(messages[1]!.content) as Record<string, string>;
      return (a) => parseTranslateBatchAnswer(a, input);
    }
    case 'insight':
      return (a) => parseInsightAnswer(a, readInsightRequest(messages));
    case 'theme':
      return (a) => parseThemeAnswer(a, readThemeRequest(messages));
    case 'learning':
      return parseLearningAnswer;
  }
}

// Every malformation the simulator applies to a kind must be one the strict parser rejects.
const VARIANTS = Object.entries(MALFORMED_VARIANTS).filter(([kind]) => kind !== 'other') as [Exclude<PromptKind, 'other'>, MalformedVariant[]][];

describe('malformed answers vs the strict parsers of @voc/prompts', () => {
  for (const [kind, variants] of VARIANTS) {
    for (const variant of variants) {
      it(`${kind} / ${variant}: ${variant === 'prose_wrapped' || variant === 'fenced_with_text' ? 'recovered exactly' : 'rejected'}`, () => {
        const messages = requests[kind];
        const parse = parserFor(kind, messages);
        const clean = generateAnswer(kind, messages, 'seed');
        const bad = malform(clean, variant, new Rng('variant', kind, variant));
        if (variant === 'prose_wrapped' || variant === 'fenced_with_text') {
          expect(bad.content).not.toBe(clean.content);
          expect(parse(bad.content)).toEqual(parse(clean.content));
        } else if (variant === 'truncated') {
          // The provider flags truncation; the JSON kinds are also unparseable on their own.
          expect(bad.finishReason).toBe('length');
          if (kind !== 'translate_single') expect(() => parse(bad.content)).toThrow(MalformedAnswerError);
        } else {
          expect(() => parse(bad.content)).toThrow(MalformedAnswerError);
        }
      });
    }
  }
});

describe('llm-sim fault rates (loose bounds over many calls)', () => {
  let sim: LlmSim;
  afterEach(() => sim?.stop());

  it('fails about LLM_SIM_ERROR_RATE of the answers with 500/502/503 and a provider-like body', async () => {
    sim = await startTestSim({ errorRate: 0.3, seed: 'errors', rpsLimit: 0 });
    const client = openaiFor(sim);
    const n = 300;
    const statuses = new Set<number>();
    let failures = 0;
    for (let i = 0; i < n; i++) {
      try {
        await client.chat.completions.create({ model: MODEL, messages: buildTranslateSingleMessages({ text: `r${i}` }) });
      } catch (err) {
        expect(err).toBeInstanceOf(APIError);
        const e = err as APIError;
        statuses.add(e.status as number);
        expect(e.type).toBe('server_error');
        failures++;
      }
    }
    expect(failures / n).toBeGreaterThan(0.18);
    expect(failures / n).toBeLessThan(0.42);
    expect([...statuses].every((s) => [500, 502, 503].includes(s))).toBe(true);
    expect(statuses.size).toBeGreaterThan(1);
    expect(sim.stats().errors5xx).toBe(failures);
  }, 60_000);

  it('malforms about LLM_SIM_MALFORMED_RATE of the answers; every other answer passes the strict parser', async () => {
    sim = await startTestSim({ malformedRate: 0.3, seed: 'malformed', rpsLimit: 0 });
    const client = openaiFor(sim);
    const n = 300;
    let rejectedByParser = 0;
    let truncated = 0;
    for (let i = 0; i < n; i++) {
      const texts = REVIEWS.map((r) => `${r} #${i}`);
      const messages = buildTranslateBatchMessages(texts);
      const r = await client.chat.completions.create({ model: MODEL, messages });
      const choice = r.choices[0]!;
      if (choice.finish_reason === 'length') {
        truncated++;
        continue;
      }
      try {
        parseTranslateBatchAnswer(choice.message.content ?? '', JSON.parse(messages[1]!.content) as Record<string, string>);
      } catch (err) {
        expect(err).toBeInstanceOf(MalformedAnswerError);
        rejectedByParser++;
      }
    }
    const { malformed, requests } = sim.stats();
    expect(requests).toBe(n);
    expect(malformed / n).toBeGreaterThan(0.18);
    expect(malformed / n).toBeLessThan(0.42);
    // Recoverable variants (prose, fences) are counted as malformed but parse fine.
    expect(rejectedByParser + truncated).toBeLessThan(malformed);
    expect(rejectedByParser).toBeGreaterThan(0);
    expect(truncated).toBeGreaterThan(0);
  }, 60_000);
});
