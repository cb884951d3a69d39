import { MalformedAnswerError } from '@voc/prompts';
import { translateBatchWithFallback, type TranslationItem } from '../src';
import { testClient } from './support/client';
import { translationTag, type LlmSim } from '@voc/llm-sim';
import { startTestSim } from './support/sim';

/** 240 distinct reviews in the classifier's batch sizes: 20 short ones a batch, 5 standard ones a batch. */
function reviewBatches(): TranslationItem[][] {
  const batches: TranslationItem[][] = [];
  let n = 0;
  const make = (len: 'short' | 'standard') =>
    len === 'short'
      ? { id: `rev-${n}`, text: `Works fine, review number ${n++}.` }
      : { id: `rev-${n}`, text: `Review ${n++}: the battery lasts long enough, but the case feels cheap and the hinge squeaks.` };
  for (let b = 0; b < 8; b++) batches.push(Array.from({ length: 20 }, () => make('short')));
  for (let b = 0; b < 16; b++) batches.push(Array.from({ length: 5 }, () => make('standard')));
  return batches;
}

describe('translateBatchWithFallback against llm-sim with LLM_SIM_MALFORMED_RATE=0.2', () => {
  let sim: LlmSim;
  beforeAll(async () => {
    sim = await startTestSim({ malformedRate: 0.2, rpsLimit: 0, seed: 'fallback' });
  }, 60_000);
  afterAll(() => sim?.stop());

  it('gives every review exactly its own translation, falling back on malformed answers', async () => {
    const { client } = testClient(sim.baseUrl);
    const batches = reviewBatches();
    const all = batches.flat();
    expect(all.length).toBeGreaterThanOrEqual(200);

    const translated = new Map<string, string>();
    let calls = 0;
    let fallbacks = 0;
    // Items still failing after their single-call retry are what a service retries
    // later (redelivery); do the same here, a few rounds at most.
    let pending = batches;
    for (let round = 0; round < 5 && pending.length > 0; round++) {
      const results = await Promise.all(pending.map((batch) => translateBatchWithFallback(client, batch, { asin: 'B0FALLBACK' })));
      const retry: TranslationItem[] = [];
      results.forEach((res, i) => {
        calls += res.calls;
        fallbacks += res.fallbacks;
        for (const [id, text] of res.translations) {
          expect(translated.has(id)).toBe(false);
          translated.set(id, text);
        }
        for (const f of res.failed) {
          expect(f.error).toBeInstanceOf(MalformedAnswerError);
          retry.push(pending[i]!.find((item) => item.id === f.id)!);
        }
        expect(res.translations.size + res.failed.length).toBe(pending[i]!.length);
      });
      pending = retry.length ? [retry] : [];
    }

    expect(pending).toEqual([]);
    expect(translated.size).toBe(all.length);
    for (const item of all) {
      const text = translated.get(item.id)!;
      // Its own fingerprint, once, and nobody else's.
      expect(text.startsWith(translationTag(item.text))).toBe(true);
      expect(text.match(/【译文·/g)).toHaveLength(1);
    }
    expect(fallbacks).toBeGreaterThan(0);
    const stats = sim.stats();
    expect(stats.malformed).toBeGreaterThan(0);
    // Every call is accounted for: no hidden retries, none lost.
    expect(stats.requests).toBe(calls);
    expect(calls).toBeLessThan(all.length);
  }, 120_000);
});
