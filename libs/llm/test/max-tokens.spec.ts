import { buildInsightMessages, buildLearningMessages, buildThemeMessages, buildTranslateBatchMessages, buildTranslateSingleMessages } from '@voc/prompts';
import { countTokens, simulatedAnswer } from '@voc/llm-sim';
import { FIXED_MAX_TOKENS, translateBatchMaxTokens, translateSingleMaxTokens } from '../src';
import { ANALYSIS_MAX_REVIEW_TOKENS, truncateForAnalysis, truncationNote } from '../src/tokens/truncate';
import { estimateTokens } from '../src/tokens/estimate';
import { realReviews } from './support/reviews';

const DIMENSIONS = ['产品质量', '电池续航', '性价比', '易用性', '外观设计', '功能性能', '售后服务', '物流包装'].map((name) => ({ name, description: `${name}的说明` }));
const LABELS = {
  who: [{ name: '宝妈宝爸' }, { name: '上班族' }, { name: '学生' }],
  when: [{ name: '日常使用' }, { name: '节日送礼' }],
  where: [{ name: '家中' }, { name: '办公室' }],
  what: [{ name: '娱乐休闲' }, { name: '替换旧品' }],
  why: [{ name: '价格实惠' }, { name: '好评推荐' }],
};

describe('max_tokens per prompt kind: no answer of llm-sim on the real reviews is cut', () => {
  const reviews = realReviews();
  const most = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);

  it('translations: derived from the input (single and batches of 20)', () => {
    const single = reviews.filter((_, i) => i % 4 === 0).map((r) => {
      const answer = simulatedAnswer(buildTranslateSingleMessages({ text: r.body, rating: r.rating }));
      return countTokens(answer) - translateSingleMaxTokens(r.body);
    });
    expect(most(single)).toBeLessThanOrEqual(0);
    const batches: number[] = [];
    for (let i = 0; i < reviews.length; i += 80) {
      const texts = reviews.slice(i, i + 20).map((r) => r.body);
      batches.push(countTokens(simulatedAnswer(buildTranslateBatchMessages(texts))) - translateBatchMaxTokens(texts));
    }
    expect(most(batches)).toBeLessThanOrEqual(0);
  });

  it('insight, theme, learning: fixed, with room above the longest answer', () => {
    const sample = reviews.filter((_, i) => i % 20 === 0);
    const insight = most(sample.map((r) => countTokens(simulatedAnswer(buildInsightMessages({ review: truncateForAnalysis(r.body).text, rating: r.rating, dimensions: DIMENSIONS })))));
    const theme = most(sample.map((r) => countTokens(simulatedAnswer(buildThemeMessages({ review: truncateForAnalysis(r.body).text, labels: LABELS })))));
    const learning = most(Array.from({ length: 10 }, (_, k) => countTokens(simulatedAnswer(buildLearningMessages({ asin: `B${k}`, sampleReviews: reviews.slice(k * 40, k * 40 + 40).map((r) => r.body) })))));
    console.log(`longest llm-sim answers: insight ${insight}, theme ${theme}, learning ${learning} tokens (max_tokens ${FIXED_MAX_TOKENS.insight}, ${FIXED_MAX_TOKENS.theme}, ${FIXED_MAX_TOKENS.learning})`);
    expect(insight).toBeLessThanOrEqual(FIXED_MAX_TOKENS.insight / 2);
    expect(theme).toBeLessThanOrEqual(FIXED_MAX_TOKENS.theme / 2);
    expect(learning).toBeLessThanOrEqual(FIXED_MAX_TOKENS.learning / 2);
  });
});

describe('the long-review rule', () => {
  it('keeps a review within the budget whole', () => {
    expect(truncateForAnalysis('Short and sweet.')).toEqual({ text: 'Short and sweet.', truncated: false, keptChars: 16, totalChars: 16 });
  });

  it('cuts a long review at a sentence end within the budget and says so', () => {
    const sentence = 'The battery lasted two full weeks of daily use, which is better than any tracker I owned before. ';
    const long = sentence.repeat(80);
    const a = truncateForAnalysis(long);
    expect(a.truncated).toBe(true);
    expect(estimateTokens(a.text)).toBeLessThanOrEqual(ANALYSIS_MAX_REVIEW_TOKENS);
    expect(estimateTokens(a.text)).toBeGreaterThan(ANALYSIS_MAX_REVIEW_TOKENS * 0.8);
    expect(long.startsWith(a.text)).toBe(true);
    expect(a.text.endsWith('before.')).toBe(true);
    expect(truncationNote(a)).toContain(`${a.keptChars}/${long.length}`);
  });

  it('cuts at a word when there is no sentence end, and cuts the longest real review', () => {
    const words = 'word '.repeat(3000);
    const a = truncateForAnalysis(words);
    expect(a.text.endsWith('word')).toBe(true);
    const longest = realReviews().reduce((x, r) => (r.body.length > x.length ? r.body : x), '');
    const cut = truncateForAnalysis(longest);
    expect(estimateTokens(cut.text)).toBeLessThanOrEqual(ANALYSIS_MAX_REVIEW_TOKENS);
  });
});
