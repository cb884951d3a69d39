import type { Sentiment } from '@voc/prompts';

const POSITIVE = /\b(love|loved|great|excellent|perfect|good|amazing|awesome|happy|recommend|works well|best|nice|sturdy|comfortable|easy)\b/i;
const NEGATIVE = /\b(broke|broken|bad|terrible|awful|stopped|return(ed)?|waste|poor|disappoint\w*|cheap|doa|lemon|worst|useless|refund|leak\w*|defective)\b/i;

/** A plausible sentiment for a quote: its own words first, the star rating as a tie-breaker. */
export function sentimentOf(quote: string, rating: number | undefined): Sentiment {
  const pos = POSITIVE.test(quote);
  const neg = NEGATIVE.test(quote);
  if (pos && neg) return 'mixed';
  if (pos) return 'positive';
  if (neg) return 'negative';
  if (rating !== undefined && rating >= 4) return 'positive';
  if (rating !== undefined && rating <= 2) return 'negative';
  return 'neutral';
}

export const SENTIMENT_PHRASES: Record<Sentiment, string> = {
  positive: '给出了正面评价',
  negative: '表达了不满',
  neutral: '做了客观描述',
  mixed: '评价褒贬不一',
};
