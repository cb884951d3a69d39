import { CallLedger, summarizeCalls, type SimSegment } from '../src/ledger';

const stats = (s: Partial<SimSegment['stats']>): SimSegment['stats'] => ({ requests: 0, rejected429: 0, errors5xx: 0, malformed: 0, maxRequestsIn1s: 0, ...s });

describe('summarizeCalls', () => {
  it('counts one extra call per failed answer, two per malformed one, and every request while the provider is down', () => {
    const s = summarizeCalls([
      { mode: 'faulty', stats: stats({ requests: 100, errors5xx: 10, malformed: 8, maxRequestsIn1s: 90 }) },
      { mode: 'storm', stats: stats({ requests: 50, rejected429: 30, maxRequestsIn1s: 60 }) },
      { mode: 'down', stats: stats({ requests: 40, errors5xx: 40 }) },
      { mode: 'normal', stats: stats({ requests: 10 }) },
    ]);
    expect(s).toEqual({ requests: 200, rejected429: 30, errors5xx: 50, malformed: 8, busiestSecond: 90, faultAnswers: 10 + 16 + 30 + 40, unexpected429: 0, restarts: 3 });
  });

  it('calls a 429 outside an injected storm unexpected', () => {
    expect(summarizeCalls([{ mode: 'normal', stats: stats({ requests: 5, rejected429: 2 }) }]).unexpected429).toBe(2);
    expect(summarizeCalls([{ mode: 'faulty', stats: stats({ requests: 5, rejected429: 1 }) }]).unexpected429).toBe(1);
  });
});

describe('CallLedger', () => {
  it('keeps closed segments with their modes and adds the open one', () => {
    const l = new CallLedger();
    l.begin('normal');
    l.close(stats({ requests: 3 }), 'down');
    expect(l.currentMode).toBe('down');
    expect(l.segments(undefined)).toEqual([{ mode: 'normal', stats: stats({ requests: 3 }) }]);
    l.close(stats({ requests: 4 }), 'normal');
    expect(l.segments(stats({ requests: 1 })).map((s) => [s.mode, s.stats.requests])).toEqual([
      ['normal', 3],
      ['down', 4],
      ['normal', 1],
    ]);
    l.begin('normal');
    expect(l.segments(undefined)).toEqual([]);
  });
});
