import {
  buildInsightMessages,
  buildLearningMessages,
  buildThemeMessages,
  buildTranslateBatchMessages,
  buildTranslateSingleMessages,
  detectPromptKind,
  readInsightRequest,
  readLearningRequest,
  readThemeRequest,
  readTranslateBatchRequest,
  readTranslateSingleRequest,
} from '../src';
import { PROMPT_MARKERS } from '../src/kinds';

describe('prompt kinds', () => {
  const review = 'Line one.\n  Line two with "quotes" and {braces}.  ';

  it('recognises every prompt the lib builds, and nothing else', () => {
    expect(detectPromptKind(buildTranslateSingleMessages({ text: review }))).toBe('translate_single');
    expect(detectPromptKind(buildTranslateBatchMessages([review]))).toBe('translate_batch');
    expect(detectPromptKind(buildInsightMessages({ review, dimensions: [{ name: '质量' }] }))).toBe('insight');
    expect(detectPromptKind(buildThemeMessages({ review, labels: { who: [{ name: '学生' }] } }))).toBe('theme');
    expect(detectPromptKind(buildLearningMessages({ asin: 'A', sampleReviews: [review] }))).toBe('learning');
    expect(detectPromptKind([{ role: 'user', content: PROMPT_MARKERS.insight }])).toBe('other');
    expect(detectPromptKind([{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: 'hi' }])).toBe('other');
  });

  it('reads system prompts sent as content parts', () => {
    const [system] = buildThemeMessages({ review, labels: { who: [{ name: '学生' }] } });
    expect(detectPromptKind([{ role: 'system', content: [{ type: 'text', text: system!.content }] }])).toBe('theme');
  });

  it('each marker occurs in its own system prompt only', () => {
    const systems = {
      translate_single: buildTranslateSingleMessages({ text: 'x' })[0]!.content,
      translate_batch: buildTranslateBatchMessages(['x'])[0]!.content,
      insight: buildInsightMessages({ review: 'x', dimensions: [{ name: 'd' }] })[0]!.content,
      theme: buildThemeMessages({ review: 'x', labels: {} })[0]!.content,
      learning: buildLearningMessages({ asin: 'A', sampleReviews: ['x'] })[0]!.content,
    };
    for (const [kind, marker] of Object.entries(PROMPT_MARKERS)) {
      for (const [other, system] of Object.entries(systems)) expect(system.includes(marker)).toBe(kind === other);
    }
  });

  it('round-trips every input exactly through build and read (what the simulator relies on)', () => {
    expect(readTranslateSingleRequest(buildTranslateSingleMessages({ text: review, rating: 1 }))).toEqual({ text: review, rating: 1 });
    expect(readTranslateSingleRequest(buildTranslateSingleMessages({ text: review }))).toEqual({ text: review });
    expect(readTranslateBatchRequest(buildTranslateBatchMessages([review, 'b']))).toEqual({ r1: review, r2: 'b' });
    const insight = { review, translation: '译文', rating: 4, dimensions: [{ name: '质量', description: '做工' }] };
    expect(readInsightRequest(buildInsightMessages(insight))).toEqual(insight);
    const theme = { review, labels: { who: [{ name: '学生', description: '在校' }] } };
    expect(readThemeRequest(buildThemeMessages(theme))).toEqual(theme);
    const learning = { asin: 'B0', title: 'T', bulletPoints: ['b1'], sampleReviews: ['one', 'two'] };
    expect(readLearningRequest(buildLearningMessages(learning))).toEqual(learning);
  });

  it('keeps a learning prompt bounded however large the sample', () => {
    const huge = Array.from({ length: 500 }, (_, i) => `review ${i} `.repeat(400));
    const { sampleReviews } = readLearningRequest(buildLearningMessages({ asin: 'A', sampleReviews: huge }));
    expect(sampleReviews.length).toBeGreaterThan(5);
    expect(sampleReviews.join('').length).toBeLessThanOrEqual(30_000);
  });
});
