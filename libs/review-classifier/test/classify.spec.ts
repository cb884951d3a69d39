import { classify, DEFAULT_CLASSIFIER_CONFIG, resolveClassifierConfig, type ReviewCategory } from '../src';

const review = (length: number, rating: number, char = 'a') => ({ body: char.repeat(length), rating });

describe('classify with seed 001 defaults', () => {
  it.each<[number, number, ReviewCategory]>([
    [0, 3, 'short'],
    [50, 1, 'short'],
    [50, 3, 'short'],
    [50, 5, 'short'],
    [51, 1, 'standard'],
    [51, 3, 'standard'],
    [51, 5, 'standard'],
    [100, 1, 'standard'],
    [100, 3, 'standard'],
    [100, 5, 'standard'],
    [101, 1, 'vip'],
    [101, 2, 'standard'],
    [101, 3, 'standard'],
    [101, 4, 'standard'],
    [101, 5, 'vip'],
    [200, 3, 'standard'],
    [200, 5, 'vip'],
    [201, 3, 'vip'],
    [201, 1, 'vip'],
  ])('length %i, rating %i → %s', (length, rating, expected) => {
    expect(classify(review(length, rating))).toBe(expected);
  });

  it('counts emoji as one character each (50 short, 51 not)', () => {
    expect(classify(review(50, 3, '😀'))).toBe('short');
    expect(classify(review(51, 3, '😀'))).toBe('standard');
  });

  it('counts CJK extension B characters as one each', () => {
    // 100 such characters are 200 UTF-16 units: still standard, not vip.
    expect(classify(review(100, 5, '𠀀'))).toBe('standard');
    expect(classify(review(101, 5, '𠀀'))).toBe('vip');
    expect(classify(review(200, 3, '𠀀'))).toBe('standard');
    expect(classify(review(201, 3, '𠀀'))).toBe('vip');
  });

  it('counts BMP Chinese characters as one each', () => {
    expect(classify(review(50, 3, '好'))).toBe('short');
    expect(classify(review(51, 3, '好'))).toBe('standard');
  });

  it('counts combining marks as code points, not graphemes', () => {
    // 25 visible letters, 50 code points.
    expect(classify(review(25, 3, 'e\u0301'))).toBe('short');
    // 26 visible letters, 52 code points.
    expect(classify(review(26, 3, 'e\u0301'))).toBe('standard');
  });
});

describe('classify with overrides', () => {
  it("applies the seed's tuning example (vip length 250)", () => {
    expect(classify(review(201, 3), { vipLength: 250 })).toBe('standard');
    expect(classify(review(251, 3), { vipLength: 250 })).toBe('vip');
  });

  it('uses the configured extreme ratings and lengths', () => {
    expect(classify(review(101, 1), { extremeRatings: [] })).toBe('standard');
    expect(classify(review(101, 3), { extremeRatings: [3] })).toBe('vip');
    expect(classify(review(61, 5), { vipExtremeRatingLength: 60 })).toBe('vip');
    expect(classify(review(11, 3), { shortMaxLength: 10 })).toBe('standard');
  });

  it('lets vip win over short when thresholds overlap', () => {
    expect(classify(review(40, 5), { vipExtremeRatingLength: 30 })).toBe('vip');
    expect(classify(review(40, 3), { vipExtremeRatingLength: 30 })).toBe('short');
  });

  it('treats undefined overrides as not given', () => {
    expect(classify(review(201, 3), { vipLength: undefined })).toBe('vip');
  });

  it('rejects incoherent or out-of-range overrides, naming the field', () => {
    expect(() => classify(review(1, 3), { shortMaxLength: 200 })).toThrow(/shortMaxLength must be less than vipLength/);
    expect(() => classify(review(1, 3), { vipExtremeRatingLength: 201 })).toThrow(/vipExtremeRatingLength/);
    expect(() => classify(review(1, 3), { vipLength: -1 })).toThrow(RangeError);
    expect(() => classify(review(1, 3), { batchSize: { short: 0 } })).toThrow(/batchSize\.short/);
    expect(() => classify(review(1, 3), { maxBatchChars: 0 })).toThrow(/maxBatchChars/);
  });
});

describe('DEFAULT_CLASSIFIER_CONFIG', () => {
  it('holds the seed values and cannot be mutated', () => {
    expect(DEFAULT_CLASSIFIER_CONFIG).toMatchObject({
      vipLength: 200,
      vipExtremeRatingLength: 100,
      extremeRatings: [1, 5],
      shortMaxLength: 50,
      batchSize: { short: 20, standard: 5, vip: 1 },
      maxBatchChars: Infinity,
    });
    const mutable = DEFAULT_CLASSIFIER_CONFIG as unknown as {
      vipLength: number;
      batchSize: Record<string, number>;
      extremeRatings: number[];
    };
    expect(() => (mutable.vipLength = 1)).toThrow(TypeError);
    expect(() => (mutable.batchSize.short = 1)).toThrow(TypeError);
    expect(() => mutable.extremeRatings.push(3)).toThrow(TypeError);
  });
});

describe('resolveClassifierConfig', () => {
  it('returns a frozen config that is accepted again as is', () => {
    const resolved = resolveClassifierConfig({ vipLength: 250, batchSize: { short: 30 } });
    expect(resolved.batchSize).toEqual({ short: 30, standard: 5, vip: 1 });
    expect(Object.isFrozen(resolved) && Object.isFrozen(resolved.batchSize)).toBe(true);
    expect(resolveClassifierConfig(resolved)).toBe(resolved);
  });

  it('does not share the caller’s extreme-ratings array', () => {
    const ratings = [1];
    const resolved = resolveClassifierConfig({ extremeRatings: ratings });
    ratings.push(3);
    expect(resolved.extremeRatings).toEqual([1]);
    expect(classify(review(101, 3), resolved)).toBe('standard');
  });
});
