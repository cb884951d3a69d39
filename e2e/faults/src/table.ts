/**
 * The table `npm run test:faults` prints at the end: one row per scenario
 * (reviews, lost, duplicated, extra LLM calls against their bound, time to
 * recover), then every failed check by name, then the scenarios' notes.
 */
import type { ScenarioFigures, ScenarioObservation } from './figures';

const HEADERS = ['scenario', 'reviews', 'lost', 'duplicated', 'extra LLM calls (bound)', 'time to recover', 'result'] as const;

export function formatTable(rows: readonly { figures: ScenarioFigures; observation: ScenarioObservation }[], totalS: number): string {
  const cells = rows.map(({ figures: f }) => [
    f.name,
    String(f.reviews),
    String(f.lost),
    String(f.duplicated),
    `${f.extraCalls > 0 ? '+' : ''}${f.extraCalls} (${f.bound})`,
    f.recoverS === null ? 'did not recover' : `${f.recoverS.toFixed(1)} s`,
    f.ok ? 'PASS' : 'FAIL',
  ]);
  const widths = HEADERS.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k]!.length)));
  const line = (c: readonly string[]) => c.map((v, k) => (k === 0 ? v.padEnd(widths[k]!) : v.padStart(widths[k]!))).join('  ');
  const out = [line(HEADERS), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  const failed = rows.filter((r) => !r.figures.ok);
  out.push('', `${rows.length - failed.length} of ${rows.length} scenarios passed in ${(totalS / 60).toFixed(1)} min`);
  for (const { figures: f } of failed) {
    for (const c of f.checks.filter((x) => !x.ok)) out.push(`FAIL  ${f.name}: ${c.name}: ${c.detail}`);
  }
  const notes = rows.flatMap(({ observation: o }) => [`${o.name}: ${o.fault}`, ...o.notes.map((n) => `  ${n}`)]);
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}
