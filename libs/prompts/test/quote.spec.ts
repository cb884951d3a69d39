import { quoteOccursIn } from '../src/quote';

describe('quoteOccursIn', () => {
  const review = 'It’s  great!\nBut the battery   died after 2 days.';

  it('matches despite case, whitespace, typographic quotes and edge punctuation', () => {
    expect(quoteOccursIn("it's great", review)).toBe(true);
    expect(quoteOccursIn('"The battery died after 2 days"', review)).toBe(true);
    expect(quoteOccursIn('...battery died...', review)).toBe(true);
  });

  it('rejects words that are not in the review, and empty quotes', () => {
    expect(quoteOccursIn('the battery lasted forever', review)).toBe(false);
    expect(quoteOccursIn('died after 3 days', review)).toBe(false);
    expect(quoteOccursIn(' … ', review)).toBe(false);
  });

  it('accepts a quote from any of the sources (review or its translation)', () => {
    expect(quoteOccursIn('电池两天就没电了', review, '很棒！但电池两天就没电了。')).toBe(true);
    expect(quoteOccursIn('电池两天就没电了', review, undefined)).toBe(false);
  });
});
