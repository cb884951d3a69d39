import { reviewEnd } from '../src/audit';

const row = (t: string, i: string, th: string, errs: Partial<Record<'translate' | 'insight' | 'theme', string | null>> = {}) => ({
  asin: 'A',
  review_id: 'r',
  translate_status: t,
  insight_status: i,
  theme_status: th,
  translate_last_error: errs.translate ?? null,
  insight_last_error: errs.insight ?? null,
  theme_last_error: errs.theme ?? null,
});

describe('reviewEnd', () => {
  it('is done only when every stage is done', () => {
    expect(reviewEnd(row('done', 'done', 'done'))).toBe('done');
    expect(reviewEnd(row('done', 'queued', 'done'))).toBe('unfinished');
    expect(reviewEnd(row('failed', 'pending', 'done', { translate: 'x' }))).toBe('unfinished');
  });

  it('is failed with a reason only when every failed stage says why', () => {
    expect(reviewEnd(row('done', 'failed', 'done', { insight: 'malformed answer' }))).toBe('failedWithReason');
    expect(reviewEnd(row('failed', 'failed', 'done', { translate: 'x' }))).toBe('failedWithoutReason');
    expect(reviewEnd(row('done', 'failed', 'done', { insight: '  ' }))).toBe('failedWithoutReason');
  });
});
