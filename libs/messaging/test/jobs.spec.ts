import { decodeJob, validateJob, type IngestJob } from '../src/testing';

const te = new TextEncoder();

describe('job schemas', () => {
  const ingest: IngestJob = {
    uploadId: 'u1',
    asin: 'B000TEST01',
    marketplace: 'US',
    product: { title: 'Kettle', bulletPoints: ['1.7 l'] },
    reviews: [
      { reviewId: 'R1', rating: 5, body: 'Great', title: 'Yes', author: 'A', date: '2024-01-02', helpfulVotes: 3, verified: true },
      { reviewId: 'R2', rating: 1, body: '' },
    ],
    part: 1,
    parts: 2,
  };

  it('accepts a well-formed job and strips fields it does not know', () => {
    const r = validateJob('INGEST', { ...ingest, extra: 'from a newer publisher' });
    expect(r).toEqual({ ok: true, job: ingest });
  });

  it('names every bad field of an invalid job', () => {
    const r = validateJob('INGEST', {
      ...ingest,
      reviews: [{ reviewId: 'R1', rating: 6, body: 'x' }, { reviewId: '', rating: 3, body: 'y' }],
      part: 3,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/^invalid INGEST job: /);
    expect(r.error).toMatch(/reviews\[0\]\.rating/);
    expect(r.error).toMatch(/reviews\[1\]\.reviewId/);
    expect(r.error).toMatch(/part must not exceed parts/);
    expect(r.error).not.toMatch(/\n/);
  });

  it('tells the two kinds of translate job apart', () => {
    expect(validateJob('TRANSLATE', { asin: 'B1', kind: 'bullets' }).ok).toBe(true);
    expect(validateJob('TRANSLATE', { asin: 'B1', kind: 'reviews', category: 'vip', reviewIds: ['R1'] }).ok).toBe(true);
    expect(validateJob('TRANSLATE', { asin: 'B1', kind: 'reviews', category: 'vip' }).ok).toBe(false);
    expect(validateJob('TRANSLATE', { asin: 'B1', kind: 'titles' }).ok).toBe(false);
  });

  it('checks learning reasons and analysis versions', () => {
    expect(validateJob('LEARNING', { jobId: 'j', asin: 'B1', reason: 'sweeper' }).ok).toBe(true);
    expect(validateJob('LEARNING', { jobId: 'j', asin: 'B1', reason: 'whim' }).ok).toBe(false);
    expect(validateJob('THEME', { asin: 'B1', reviewIds: ['R1'], learningVersion: 0 }).ok).toBe(true);
    expect(validateJob('INSIGHT', { asin: 'B1', reviewIds: ['R1'], learningVersion: 1.5 }).ok).toBe(false);
    expect(validateJob('INSIGHT', { asin: 'B1', reviewIds: [], learningVersion: 1 }).ok).toBe(false);
    expect(validateJob('REPORT', { reportId: 'r', asin: '' }).ok).toBe(false);
  });

  it('decodes message bodies, and explains one that is not JSON', () => {
    expect(decodeJob('REPORT', te.encode('{"reportId":"r","asin":"B1"}'))).toEqual({ ok: true, job: { reportId: 'r', asin: 'B1' } });
    const r = decodeJob('REPORT', te.encode('{"reportId":'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^invalid REPORT job: body is not JSON/);
  });
});
