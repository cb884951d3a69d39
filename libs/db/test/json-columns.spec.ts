import { bulletPointsOf, bulletPointsZhOf, reportContentOf, StoredJsonError, type ReportContent } from '../src';

const shares = { who: [], when: [], where: [], what: [], why: [{ label: '价格实惠', count: 2, share: 0.5 }] };
const report: ReportContent = {
  asin: 'B0TEST',
  title: null,
  generatedAt: '2026-11-30T00:00:00.000Z',
  learning: { version: 1, learnedAt: null, learnedFromReviews: 20 },
  reviews: { total: 4, averageRating: 4.5, byRating: { '1': 0, '2': 0, '3': 0, '4': 2, '5': 2 }, byCategory: { vip: 1, standard: 2, short: 1 } },
  coverage: { translated: 4, withInsights: 4, withThemes: 3, failed: 0, translationRatio: 1 },
  dimensions: [{ name: '电池续航', description: '', total: 3, positive: 2, negative: 1, neutral: 0, mixed: 0, quotes: { positive: ['lasts'], negative: [] } }],
  personas: shares,
};

/** The StoredJsonError `fn` throws. */
function storedJsonError(fn: () => unknown): StoredJsonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoredJsonError);
    return err as StoredJsonError;
  }
  throw new Error('expected a StoredJsonError');
}

describe('JSON columns, parsed on read', () => {
  it('returns the stored bullet points and their translation', () => {
    expect(bulletPointsOf({ asin: 'B0TEST', bulletPoints: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(bulletPointsZhOf({ asin: 'B0TEST', bulletPointsZh: null })).toBeNull();
    expect(bulletPointsZhOf({ asin: 'B0TEST', bulletPointsZh: ['甲'] })).toEqual(['甲']);
  });

  it('names the column, the row and the problem of a corrupt value', () => {
    const err = storedJsonError(() => bulletPointsOf({ asin: 'B0BAD', bulletPoints: ['ok', 3] }));
    expect(err.column).toBe('products.bullet_points');
    expect(err.key).toBe('B0BAD');
    expect(err.message).toMatch(/^products\.bullet_points of B0BAD is not valid: 1: /);
    expect(storedJsonError(() => bulletPointsOf({ asin: 'B0BAD', bulletPoints: { a: 1 } })).problems).toHaveLength(1);
  });

  it('reads a stored report back as it was written, and null before it is ready', () => {
    expect(reportContentOf({ id: 'r1', content: JSON.parse(JSON.stringify(report)) })).toEqual(report);
    expect(reportContentOf({ id: 'r1', content: null })).toBeNull();
  });

  it('rejects a report missing a section or with a count out of range, naming the path', () => {
    const { personas: _dropped, ...noPersonas } = report;
    expect(storedJsonError(() => reportContentOf({ id: 'r2', content: noPersonas })).problems.join()).toMatch(/personas/);
    const negative = { ...report, reviews: { ...report.reviews, total: -1 } };
    const err = storedJsonError(() => reportContentOf({ id: 'r3', content: negative }));
    expect(err.message).toContain('reports.content of r3');
    expect(err.problems.join()).toMatch(/reviews\.total/);
  });
});
