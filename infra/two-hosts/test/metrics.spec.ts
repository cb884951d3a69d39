import { CounterLedger, parsePrometheus, sumSamples } from '../src/metrics';

const EXPOSITION = `# HELP messages_processed_total Messages handled
# TYPE messages_processed_total counter
messages_processed_total{queue="TRANSLATE",outcome="success"} 12
messages_processed_total{queue="TRANSLATE",outcome="retry"} 2
messages_processed_total{queue="LEARNING",outcome="success"} 3
llm_requests_total{service="insight-svc",model="qwen-plus-latest",kind="insight",outcome="ok"} 140
llm_requests_total{service="insight-svc",model="qwen-plus-latest",kind="insight",outcome="rate_limited"} 1
process_start_time_seconds 1700000000
odd_label{path="a \\"quoted\\" \\\\ b"} 1.5e2 1700000000000
`;

describe('parsePrometheus', () => {
  const samples = parsePrometheus(EXPOSITION);

  it('reads names, labels and values, skipping comments', () => {
    expect(samples).toHaveLength(7);
    expect(samples[0]).toEqual({ name: 'messages_processed_total', labels: { queue: 'TRANSLATE', outcome: 'success' }, value: 12 });
    expect(samples[5]).toEqual({ name: 'process_start_time_seconds', labels: {}, value: 1700000000 });
  });

  it('unescapes label values and accepts a timestamp after the value', () => {
    expect(samples[6]).toEqual({ name: 'odd_label', labels: { path: 'a "quoted" \\ b' }, value: 150 });
  });

  it('sums only the samples whose labels match', () => {
    expect(sumSamples(samples, 'messages_processed_total', { outcome: 'success' })).toBe(15);
    expect(sumSamples(samples, 'messages_processed_total', { queue: 'TRANSLATE' })).toBe(14);
    expect(sumSamples(samples, 'llm_requests_total', { kind: 'insight', outcome: 'ok' })).toBe(140);
    expect(sumSamples(samples, 'missing_total')).toBe(0);
  });

  it('rejects a line that is not a sample', () => {
    expect(() => parsePrometheus('this is not prometheus')).toThrow('not a Prometheus sample line');
  });
});

describe('CounterLedger', () => {
  const a = { host: 'server-a', service: 'translate-svc', what: 'msg:TRANSLATE' };
  const b = { host: 'server-b', service: 'translate-svc', what: 'msg:TRANSLATE' };

  it('adds up the runs of a restarted process: its counters start from zero again', () => {
    const ledger = new CounterLedger();
    ledger.observe(b, 'pid-1', 10);
    ledger.observe(b, 'pid-1', 25);
    // killed; the new process counts from zero
    ledger.observe(b, 'pid-2', 4);
    ledger.observe(b, 'pid-2', 9);
    expect(ledger.total(b)).toBe(34);
  });

  it('keeps the highest value seen of a run (a late, older scrape does not lower it)', () => {
    const ledger = new CounterLedger();
    ledger.observe(a, 'pid-1', 30);
    ledger.observe(a, 'pid-1', 28);
    expect(ledger.total(a)).toBe(30);
  });

  it('totals one kind of work per host over its services', () => {
    const ledger = new CounterLedger();
    ledger.observe(a, '1', 5);
    ledger.observe({ ...a, service: 'translate-svc-2' }, '2', 7);
    ledger.observe(b, '3', 11);
    ledger.observe({ ...a, what: 'msg:LEARNING' }, '1', 100);
    expect(ledger.hostTotal('server-a', 'msg:TRANSLATE')).toBe(12);
    expect(ledger.hostTotal('server-b', 'msg:TRANSLATE')).toBe(11);
    expect(ledger.hostTotal('server-b', 'msg:LEARNING')).toBe(0);
  });
});
