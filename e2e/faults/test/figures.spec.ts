import { computeFigures } from '../src/figures';
import { cleanObservation } from './support';

const failedNames = (o: ReturnType<typeof cleanObservation>) => computeFigures(o).checks.filter((c) => !c.ok).map((c) => c.name);

describe('computeFigures', () => {
  it('passes a clean scenario, with its recovery time from the end of the fault', () => {
    const f = computeFigures(cleanObservation());
    expect(f).toMatchObject({ lost: 0, duplicated: 0, extraCalls: 0, bound: 21, recoverS: 33, ok: true });
  });

  it('counts reviews failed or rejected with a reason as accounted for, and the rest as lost', () => {
    const ok = cleanObservation({
      reviews: { accepted: 100, poison: 3, done: 95, failedWithReason: 2, failedWithoutReason: 0, rejectedWithReason: 3, missing: 0, unfinished: 0, goodNotDone: 2 },
    });
    expect(computeFigures(ok)).toMatchObject({ lost: 0, ok: true });
    const lost = cleanObservation({
      reviews: { accepted: 100, poison: 0, done: 90, failedWithReason: 2, failedWithoutReason: 3, rejectedWithReason: 0, missing: 4, unfinished: 1, goodNotDone: 10 },
    });
    expect(computeFigures(lost).lost).toBe(8);
    expect(failedNames(lost)).toEqual(['every accepted review done, or visibly rejected or failed with a reason']);
  });

  it('fails on duplicates and on wrong translations, each by name', () => {
    const o = cleanObservation({ duplicates: { extraRows: 1, insightsOver5: 2, duplicateThemes: 3, wrongTranslations: 1 } });
    expect(computeFigures(o).duplicated).toBe(6);
    expect(failedNames(o)).toEqual(['no duplicate rows', "every translation is its own review's"]);
  });

  it('allows extra calls up to the fault answers plus the redo parts, not one more', () => {
    const calls = { ...cleanObservation().calls, requests: 222 + 31, faultAnswers: 10 };
    expect(computeFigures(cleanObservation({ calls })).ok).toBe(true);
    const over = { ...calls, requests: 222 + 32 };
    expect(failedNames(cleanObservation({ calls: over }))).toEqual(['LLM calls <= planned + bound']);
  });

  it('fails on a 429 outside a storm and on a second busier than the account limit', () => {
    expect(failedNames(cleanObservation({ calls: { ...cleanObservation().calls, unexpected429: 1 } }))).toEqual(['no 429 caused by exceeding the account limit (250)']);
    expect(failedNames(cleanObservation({ calls: { ...cleanObservation().calls, busiestSecond: 251 } }))).toEqual(['no 429 caused by exceeding the account limit (250)']);
  });

  it('fails when a service exited on its own, naming it', () => {
    const f = computeFigures(cleanObservation({ crashes: [{ service: 'insight-svc', code: 1 }] }));
    expect(f.checks.filter((c) => !c.ok).map((c) => [c.name, c.detail])).toEqual([['no service exited on its own', 'insight-svc (code 1)']]);
  });

  it('fails a scenario that did not recover in time', () => {
    const f = computeFigures(cleanObservation({ timeline: { faultAt: 1, faultEndedAt: 2, recoveredAt: null } }));
    expect(f.recoverS).toBeNull();
    expect(f.checks.find((c) => !c.ok)?.name).toBe('finished in time');
  });

  it('adds the acceptance checks a scenario asks for: good reviews done, empty DLQ, stalls, reports', () => {
    const o = cleanObservation({
      acceptance: { allGoodDone: true, dlqEmpty: true, maxStallMs: 5000, maxLeaderlessMs: 15_000, reportsReady: true },
      reviews: { ...cleanObservation().reviews, done: 98, failedWithReason: 2, goodNotDone: 2 },
      dlq: 1,
      stalls: { translate: 1200, insight: 7300 },
      leaderless: { translate: 0, insight: 16_000 },
      reports: { requested: 30, ready: 29 },
    });
    expect(failedNames(o)).toEqual([
      'every good review analysed',
      'nothing in the DLQ',
      'no consumer stalled more than 5.0 s',
      'no consumer without a leader more than 15.0 s',
      'every report requested is ready',
    ]);
    const unmeasured = cleanObservation({ acceptance: { maxStallMs: 5000, maxLeaderlessMs: 15_000 } });
    expect(failedNames(unmeasured)).toEqual(['no consumer stalled more than 5.0 s', 'no consumer without a leader more than 15.0 s']);
  });
});
