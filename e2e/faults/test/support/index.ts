import type { ScenarioObservation } from '../../src/figures';

/** A scenario that went perfectly: 100 reviews done, exactly the planned calls, nothing dead-lettered. */
export function cleanObservation(over: Partial<ScenarioObservation> = {}): ScenarioObservation {
  return {
    id: 'kill-translate',
    name: 'SIGKILL translate-svc',
    fault: 'SIGKILL of translate-svc',
    reviews: { accepted: 100, poison: 0, done: 100, failedWithReason: 0, failedWithoutReason: 0, rejectedWithReason: 0, missing: 0, unfinished: 0, goodNotDone: 0 },
    duplicates: { extraRows: 0, insightsOver5: 0, duplicateThemes: 0, wrongTranslations: 0 },
    planned: { translate: 20, bullets: 1, learning: 1, insight: 100, theme: 100, total: 222 },
    calls: { requests: 222, rejected429: 0, errors5xx: 0, malformed: 0, busiestSecond: 180, faultAnswers: 0, unexpected429: 0, restarts: 0 },
    redo: [{ calls: 21, why: 'translation redone' }],
    accountLimit: 250,
    dlq: 0,
    stranded: 0,
    timeline: { faultAt: 5000, faultEndedAt: 7000, recoveredAt: 40_000 },
    crashes: [],
    acceptance: {},
    notes: [],
    ...over,
  };
}
