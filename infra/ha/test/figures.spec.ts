import type { Integrity } from '@voc/two-hosts/harness';
import { catchUpS, computeFigures, formatReport, type FailoverObservation, type HaObservations } from '../src/figures';

const integrity: Integrity = {
  uploadedDistinct: 100,
  stored: 100,
  missing: 0,
  translated: 100,
  wrongTranslations: 0,
  insightsDone: 100,
  themesDone: 100,
  insightsUnder3: 0,
  insightsOver5: 0,
  duplicateThemes: 0,
  failed: 0,
  unfinished: 0,
  dlqMessages: 0,
};

const failover = (killed: 'server-a' | 'server-b', over: Partial<FailoverObservation> = {}): FailoverObservation => ({
  killed,
  killedAtS: 20,
  downS: 30,
  failover: { uploadsS: 4, postgresS: 14, redisS: 5, natsS: 3, vipS: 3.5 },
  longestGapS: 4.5,
  survivorsOnDeadNats: [],
  catchUp: { postgresS: 20, redisS: 8, natsS: 3, appsS: 25 },
  ...over,
});

function observations(over: Partial<HaObservations> = {}): HaObservations {
  return {
    maxApiRps: 200,
    accountLimit: 250,
    uploads: { chunkSize: 5, everyMs: 250, attempts: 30, accepted: 20, refused: { '503': 10 }, longestGapS: 4.5, allAccepted: true },
    failovers: [failover('server-a'), failover('server-b')],
    phases: [
      { name: 'both up', requests: 100, maxRequestsIn1s: 150, rejected429: 0, errors5xx: 0 },
      { name: 'A down', requests: 50, maxRequestsIn1s: 120, rejected429: 0, errors5xx: 0 },
    ],
    syncOff: [{ during: 'A down', seconds: 40, reviewsStored: 12 }],
    splitBrainSamples: 0,
    backup: { baseBackupBeforeFirstKill: true, walSegments: 6, primaryReviews: 100, restoredReviews: 100, restoredTimeline: '3', restoreS: 7 },
    finishedS: 200,
    integrity,
    work: { 'server-a': { INGEST: 30, TRANSLATE: 80, LEARNING: 4 }, 'server-b': { INGEST: 20, TRANSLATE: 60, INSIGHT: 100, THEME: 100 } },
    restarts: { 'server-a': 0, 'server-b': 1, witness: 0 },
    totalS: 420,
    ...over,
  };
}

describe('the verdict of a run', () => {
  it('passes a run where both failovers recovered, nothing was lost and the restore holds everything', () => {
    const f = computeFigures(observations());
    expect(f.checks.filter((c) => !c.ok)).toEqual([]);
    expect(f).toMatchObject({ ok: true, lost: 0, duplicated: 0, busiestSecond: 150 });
  });

  it('fails when a client waited more than 10 s between accepted uploads', () => {
    const f = computeFigures(observations({ uploads: { ...observations().uploads, longestGapS: 12.5 } }));
    expect(f.ok).toBe(false);
    expect(f.checks.find((c) => !c.ok)!.detail).toBe('longest wait 12.5 s');
  });

  it('fails on a failover that never happened, a host that never caught up, a split brain', () => {
    const stuck = failover('server-b', { failover: { ...failover('server-b').failover, redisS: null }, catchUp: { ...failover('server-b').catchUp, postgresS: null } });
    const f = computeFigures(observations({ failovers: [failover('server-a'), stuck], splitBrainSamples: 2 }));
    expect(f.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'B killed: Redis failed over (the Sentinels name the survivor, a master)',
      'B came back as a replica and caught up (PostgreSQL, Redis, NATS, services)',
      'the floating address was never on both live servers',
    ]);
    expect(catchUpS(stuck.catchUp)).toBeNull();
    expect(catchUpS(failover('server-a').catchUp)).toBe(20);
  });

  it('counts lost and duplicated reviews, and a restore short of the primary', () => {
    const f = computeFigures(
      observations({
        integrity: { ...integrity, stored: 99, missing: 2, insightsOver5: 1 },
        backup: { ...observations().backup, restoredReviews: 98 },
      }),
    );
    expect([f.lost, f.duplicated]).toEqual([2, 2]);
    expect(f.checks.find((c) => c.name.startsWith('the restore'))!.ok).toBe(false);
  });

  it('warns (does not fail) over MAX_API_RPS, fails over the account limit', () => {
    const warn = computeFigures(observations({ phases: [{ name: 'A down', requests: 10, maxRequestsIn1s: 203, rejected429: 0, errors5xx: 0 }] }));
    expect(warn.ok).toBe(true);
    expect(warn.checks.find((c) => c.severity === 'warn' && !c.ok)).toBeDefined();
    const over = computeFigures(observations({ phases: [{ name: 'A down', requests: 10, maxRequestsIn1s: 251, rejected429: 3, errors5xx: 0 }] }));
    expect(over.ok).toBe(false);
  });

  it('fails unless both hosts translated and B extracted insights and themes (the work split of seed 000)', () => {
    const aIdle = computeFigures(observations({ work: { 'server-a': { INGEST: 30 }, 'server-b': { TRANSLATE: 60, INSIGHT: 100, THEME: 100 } } }));
    expect(aIdle.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['translation shared by both hosts']);
    const noThemes = computeFigures(observations({ work: { 'server-a': { TRANSLATE: 80 }, 'server-b': { TRANSLATE: 60, INSIGHT: 100 } } }));
    expect(noThemes.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['insights and themes extracted on server B']);
  });

  it("prints a row per failover with the issue's figures", () => {
    const text = formatReport(observations(), computeFigures(observations()));
    expect(text).toMatch(/kill server A\s+4\.0 s\s+4\.5 s\s+14\.0 s\s+5\.0 s\s+3\.0 s\s+3\.5 s\s+20\.0 s \(20\.0 \/ 8\.0 \/ 3\.0\)/);
    expect(text).toMatch(/reviews uploaded \/ lost \/ duplicated +100 \/ 0 \/ 0/);
    expect(text).toContain('A down: 40.0 s, 12 reviews stored on one node');
    expect(text).toMatch(/messages acked on server-b +INGEST 20, TRANSLATE 60, INSIGHT 100, THEME 100/);
  });
});
