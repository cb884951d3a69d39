import { computeFigures } from '../src/figures';
import { formatTable } from '../src/table';
import { cleanObservation } from './support';

describe('formatTable', () => {
  const pass = cleanObservation();
  const fail = cleanObservation({
    id: 'pg-down',
    name: 'PostgreSQL down',
    fault: 'PostgreSQL stopped for 155 s',
    dlq: 3,
    acceptance: { dlqEmpty: true },
    reviews: { ...pass.reviews, done: 97, missing: 3, goodNotDone: 3 },
    timeline: { faultAt: 1000, faultEndedAt: 156_000, recoveredAt: null },
    notes: ['2 products uploaded during the outage'],
  });
  const text = formatTable(
    [pass, fail].map((o) => ({ observation: o, figures: computeFigures(o) })),
    754,
  );
  const lines = text.split('\n');

  it('prints one aligned row per scenario with reviews, lost, duplicated, extra calls (bound), time to recover', () => {
    expect(lines[0]).toMatch(/^scenario\s+reviews\s+lost\s+duplicated\s+extra LLM calls \(bound\)\s+time to recover\s+result$/);
    expect(lines[2]).toMatch(/^SIGKILL translate-svc\s+100\s+0\s+0\s+0 \(21\)\s+33\.0 s\s+PASS$/);
    expect(lines[3]).toMatch(/^PostgreSQL down\s+100\s+3\s+0\s+0 \(21\)\s+did not recover\s+FAIL$/);
    expect(new Set(lines.slice(0, 4).map((l) => l.length)).size).toBe(1);
  });

  it('then the count, the total time, every failed check by name, and the notes', () => {
    expect(text).toContain('1 of 2 scenarios passed in 12.6 min');
    expect(text).toContain('FAIL  PostgreSQL down: finished in time: timed out');
    expect(text).toContain('FAIL  PostgreSQL down: nothing in the DLQ: 3 dead letters, 0 of its messages left in the work streams');
    expect(text).toContain('PostgreSQL down: PostgreSQL stopped for 155 s\n  2 products uploaded during the outage');
  });
});
