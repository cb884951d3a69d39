import { ApiError } from '../src/errors';
import { parseAsin, validateUpload } from '../src/validation';

const good = { reviewId: 'r1', rating: 5, body: 'Great tablet' };

function reject(body: unknown): ApiError {
  try {
    validateUpload(body);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected rejection');
}

describe('validateUpload', () => {
  it('accepts a minimal upload and trims text', () => {
    const v = validateUpload({ reviews: [{ ...good, body: '  Great  ' }] });
    expect(v.reviews[0]!.body).toBe('Great');
  });

  it('lists every bad review with its index and field', () => {
    const e = reject({
      reviews: [good, { reviewId: 'r2', rating: 6, body: 'x' }, { reviewId: 'r3', rating: 3, body: '   ' }, { rating: 2.5, body: 'y' }],
    });
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_reviews');
    const pairs = e.details.map((d) => `${d.index}:${d.field}`).sort();
    expect(pairs).toEqual(['1:rating', '2:body', '3:rating', '3:reviewId']);
    expect(e.message).toContain('3 of 4');
  });

  it('refuses duplicate reviewIds within one request', () => {
    const e = reject({ reviews: [good, { ...good, body: 'other' }] });
    expect(e.details).toEqual([{ index: 1, field: 'reviewId', message: 'duplicates the reviewId of review 0' }]);
  });

  it('refuses empty, oversized and non-array review lists', () => {
    expect(reject({ reviews: [] }).code).toBe('invalid_upload');
    expect(reject({}).code).toBe('invalid_upload');
    const many = Array.from({ length: 1001 }, (_, i) => ({ ...good, reviewId: `r${i}` }));
    expect(reject({ reviews: many }).details[0]!.message).toContain('1000');
  });

  it('checks dates and optional fields', () => {
    const e = reject({ reviews: [{ ...good, date: '2017-13-45' }, { ...good, reviewId: 'x', helpfulVotes: -1, verified: 'yes' }] });
    expect(e.details.map((d) => `${d.index}:${d.field}`).sort()).toEqual(['0:date', '1:helpfulVotes', '1:verified']);
    expect(validateUpload({ reviews: [{ ...good, date: '2017-06-30', verified: null, helpfulVotes: 0 }] }).reviews).toHaveLength(1);
  });
});

describe('parseAsin', () => {
  it('accepts ASINs and rejects anything else', () => {
    expect(parseAsin('B00VINDBJK')).toBe('B00VINDBJK');
    for (const bad of ['b00vindbjk', 'B00VINDBJ', 'B00VINDBJK1', 'B00VIN-BJK']) expect(() => parseAsin(bad)).toThrow(ApiError);
  });
});
