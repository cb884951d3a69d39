import { FIVE_W, type InsightInput, type ThemeInput } from '@voc/prompts';
import { Rng } from '../random';
import { excerpt, pseudoChinese, sentenceSpans, type Span } from '../text';
import { SENTIMENT_PHRASES, sentimentOf } from './sentiment';
import { jsonAnswer, type SimAnswer } from './types';

function spansOf(review: string): Span[] {
  const spans = sentenceSpans(review);
  if (spans.length) return spans;
  const start = review.length - review.trimStart().length;
  return [{ start, end: review.trimEnd().length }];
}

/** 3–5 insights, each on one of the given dimensions, quoting a sentence of the review verbatim. */
export function answerInsight(input: InsightInput, seed: string): SimAnswer {
  const rng = new Rng(seed, 'insight', JSON.stringify(input));
  const spans = spansOf(input.review);
  const count = 3 + rng.int(3);
  const offset = rng.int(input.dimensions.length);
  const insights = Array.from({ length: count }, (_, i) => {
    const dimension = (input.dimensions[(offset + i) % input.dimensions.length] as { name: string }).name;
    const quote = excerpt(input.review, spans[i % spans.length] as Span);
    const sentiment = sentimentOf(quote, input.rating);
    return {
      dimension,
      sentiment,
      quote,
      analysis: `用户在“${dimension}”方面${SENTIMENT_PHRASES[sentiment]}：${pseudoChinese(quote, seed)}`,
    };
  });
  return jsonAnswer('insight', { insights });
}

/** One to three 5W themes from the given labels, each quoting a sentence of the review verbatim. */
export function answerTheme(input: ThemeInput, seed: string): SimAnswer {
  const rng = new Rng(seed, 'theme', JSON.stringify(input));
  const spans = spansOf(input.review);
  const categories = rng.shuffle(FIVE_W.filter((c) => (input.labels[c]?.length ?? 0) > 0));
  const count = Math.min(categories.length, 1 + rng.int(3));
  const themes = categories.slice(0, count).map((category, i) => ({
    category,
    label: rng.pick(input.labels[category] ?? []).name,
    quote: excerpt(input.review, spans[i % spans.length] as Span),
  }));
  return jsonAnswer('theme', { themes });
}
