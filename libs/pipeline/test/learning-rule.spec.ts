/**
 * The learning rule as a pure function: why a product is due now
 * (learningDue) and when time alone makes it due (learningDueAt), which the
 * alarms and the sweeper rely on agreeing.
 */
import { learningDue, learningDueAt, type LearningFacts } from '../src';

const s = { LEARN_MIN_REVIEWS: 20, LEARN_QUIET_MS: 30_000, RELEARN_GROWTH_FACTOR: 2, RELEARN_MIN_NEW_REVIEWS: 50 };
const t0 = new Date('2026-12-03T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const facts = (p: Partial<LearningFacts>): LearningFacts => ({ learningState: 'pending', reviewCount: 0, learnedReviewCount: 0, lastUploadAt: null, learningRetryAt: null, ...p });

describe('learning rule', () => {
  it('a small pending product is due `quiet` exactly at learningDueAt, not a millisecond before', () => {
    const p = facts({ reviewCount: 3, lastUploadAt: t0 });
    expect(learningDueAt(p, s)).toEqual(at(30_000));
    expect(learningDue(p, s, at(29_999))).toBeUndefined();
    expect(learningDue(p, s, at(30_000))).toBe('quiet');
  });

  it('a pending product with LEARN_MIN_REVIEWS is due `new` at once and has no timed moment', () => {
    const p = facts({ reviewCount: 20, lastUploadAt: t0 });
    expect(learningDue(p, s, t0)).toBe('new');
    expect(learningDueAt(p, s)).toBeUndefined();
  });

  it('a product without reviews or uploads has no moment', () => {
    expect(learningDueAt(facts({}), s)).toBeUndefined();
    expect(learningDueAt(facts({ reviewCount: 2 }), s)).toBeUndefined();
  });

  it('a failed product is due `retry` at learningRetryAt', () => {
    const p = facts({ learningState: 'failed', reviewCount: 5, learningRetryAt: at(60_000) });
    expect(learningDueAt(p, s)).toEqual(at(60_000));
    expect(learningDue(p, s, at(59_999))).toBeUndefined();
    expect(learningDue(p, s, at(60_000))).toBe('retry');
  });

  it('a learned product is due `grown` by its size only, never by time', () => {
    const p = facts({ learningState: 'learned', reviewCount: 100, learnedReviewCount: 50 });
    expect(learningDue(p, s, t0)).toBe('grown');
    expect(learningDue({ ...p, reviewCount: 99 }, s, t0)).toBeUndefined();
    expect(learningDueAt(p, s)).toBeUndefined();
  });
});
