import { computeFigures, emptyWorkShare, formatReport, type Observations } from '../src/figures';

/** A run where everything went right; each test breaks one thing. */
function goodRun(): Observations {
  const work = emptyWorkShare();
  work.TRANSLATE['server-a'] = { messages: 300, llmAnswers: 320 };
  work.TRANSLATE['server-b'] = { messages: 120, llmAnswers: 130 };
  work.LEARNING['server-a'] = { messages: 6, llmAnswers: 6 };
  work.INSIGHT['server-b'] = { messages: 30, llmAnswers: 2000 };
  work.THEME['server-b'] = { messages: 30, llmAnswers: 2000 };
  return {
    maxApiRps: 200,
    products: 5,
    timeline: { bKilledAt: 40_000, bBackAt: 85_500, finishedAt: 190_000 },
    work,
    restarts: { 'server-a': 0, 'server-b': 0 },
    sim: { requests: 5000, maxRequestsIn1s: 199, rejected429: 0, errors5xx: 0, accountLimit: 250, eventLoopLagMaxMs: 12 },
    bothUp: { aTranslate: 150, bTranslate: 100 },
    firstWave: { sent: 14, accepted: 14 },
    outage: {
      uploadsSent: 9,
      uploadsAccepted: 9,
      uploadRetries: 2,
      translatedBefore: 900,
      translatedAfter: 1700,
      aTranslateBefore: 200,
      aTranslateAfter: 290,
      aLearningBefore: 4,
      aLearningAfter: 6,
      aLongestStallMs: 3200,
    },
    integrity: {
      uploadedDistinct: 2000,
      stored: 2000,
      missing: 0,
      translated: 2000,
      wrongTranslations: 0,
      insightsDone: 2000,
      themesDone: 2000,
      insightsUnder3: 0,
      insightsOver5: 0,
      duplicateThemes: 0,
      failed: 0,
      unfinished: 0,
      dlqMessages: 0,
    },
  };
}

const failing = (o: Observations) => computeFigures(o).checks.filter((c) => !c.ok).map((c) => c.name);

describe('computeFigures', () => {
  it('passes a run where every figure is in bounds', () => {
    const f = computeFigures(goodRun());
    expect(failing(goodRun())).toEqual([]);
    expect(f).toMatchObject({ ok: true, lost: 0, duplicated: 0, timeToFinishS: 190, bDownS: 45.5 });
  });

  it('warns when the busiest second at the LLM goes over MAX_API_RPS, and fails over the account limit or on any 429', () => {
    const o = goodRun();
    o.sim.maxRequestsIn1s = 201;
    const warned = computeFigures(o);
    expect(failing(o)).toEqual(['busiest second at the LLM <= MAX_API_RPS (200)']);
    expect(warned.checks.find((c) => !c.ok)!.severity).toBe('warn');
    expect(warned.ok).toBe(true);
    o.sim.maxRequestsIn1s = 251;
    expect(computeFigures(o).ok).toBe(false);
    expect(failing(o)).toContain('busiest second at the LLM <= the account limit (250)');
    const p = goodRun();
    p.sim.rejected429 = 3;
    expect(failing(p)).toEqual(['no 429 from the LLM']);
    expect(computeFigures(p).ok).toBe(false);
  });

  it('fails when one host did no translation', () => {
    const o = goodRun();
    o.work.TRANSLATE['server-b'] = { messages: 0, llmAnswers: 0 };
    expect(failing(o)).toEqual(['translation shared by both hosts']);
  });

  it('counts missing and unfinished reviews as lost', () => {
    const o = goodRun();
    o.integrity.missing = 3;
    o.integrity.stored = 1997;
    o.integrity.unfinished = 5;
    o.integrity.themesDone = 1992;
    const f = computeFigures(o);
    expect(f.lost).toBe(8);
    expect(f.duplicated).toBe(0);
    expect(f.ok).toBe(false);
    expect(failing(o)).toEqual(expect.arrayContaining(['reviews stored == uploaded (distinct)', 'themes done, no duplicate rows', 'lost = 0, duplicated = 0']));
  });

  it('counts extra rows, surplus insights and repeated themes as duplicated', () => {
    const o = goodRun();
    o.integrity.stored = 2002;
    o.integrity.insightsOver5 = 4;
    o.integrity.duplicateThemes = 1;
    expect(computeFigures(o).duplicated).toBe(7);
  });

  it('fails when an upload was refused while B was down, or A stopped translating or learning', () => {
    const o = goodRun();
    o.outage.uploadsAccepted = 8;
    o.outage.aLearningAfter = o.outage.aLearningBefore;
    o.outage.translatedAfter = o.outage.translatedBefore;
    expect(failing(o)).toEqual(['uploads accepted while B was down', 'translation went on while B was down', 'learning went on while B was down']);
  });

  it('warns, without failing, when A paused translating for long while B was down', () => {
    const o = goodRun();
    o.outage.aLongestStallMs = 28_000;
    expect(failing(o)).toEqual(['A never paused translating for more than 15 s while B was down']);
    expect(computeFigures(o).ok).toBe(true);
  });

  it('fails a run that did not finish', () => {
    const o = goodRun();
    o.timeline.finishedAt = null;
    const f = computeFigures(o);
    expect(f.timeToFinishS).toBeNull();
    expect(failing(o)).toEqual(['every review finished']);
  });
});

describe('formatReport', () => {
  it('shows the work per host and every check with its verdict', () => {
    const o = goodRun();
    o.sim.rejected429 = 1;
    const text = formatReport(o, computeFigures(o));
    expect(text).toMatch(/TRANSLATE\s+300\s+120\s+320\s+130/);
    expect(text).toContain('199 (MAX_API_RPS 200, account limit 250)');
    expect(text).toContain('FAIL  no 429 from the LLM: 1');
    expect(text).toContain('PASS  lost = 0, duplicated = 0');
  });

  it('shows a check over MAX_API_RPS as WARN', () => {
    const o = goodRun();
    o.sim.maxRequestsIn1s = 203;
    expect(formatReport(o, computeFigures(o))).toContain("WARN  busiest second at the LLM <= MAX_API_RPS (200): 203 requests (+3); llm-sim's longest event-loop stall 12 ms");
  });
});
