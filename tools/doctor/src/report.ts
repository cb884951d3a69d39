/** A check's outcome, the printed table, and the exit code. */

export type Status = 'ok' | 'warn' | 'FAIL';

export interface CheckResult {
  check: string;
  status: Status;
  detail: string;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });
export const warn = (check: string, detail: string): CheckResult => ({ check, status: 'warn', detail });
export const fail = (check: string, detail: string): CheckResult => ({ check, status: 'FAIL', detail });

/** Columns check | status | detail; long details wrap under the detail column. */
export function renderTable(results: readonly CheckResult[], width = 120): string {
  const c1 = Math.max('check'.length, ...results.map((r) => r.check.length));
  const c2 = 6;
  const indent = c1 + c2 + 4;
  const room = Math.max(30, width - indent);
  const lines = [`${'check'.padEnd(c1)}  ${'status'.padEnd(c2)}  detail`, `${'-'.repeat(c1)}  ${'-'.repeat(c2)}  ${'-'.repeat(Math.min(room, 40))}`];
  for (const r of results) {
    const chunks = wrap(r.detail, room);
    lines.push(`${r.check.padEnd(c1)}  ${r.status.padEnd(c2)}  ${chunks[0] ?? ''}`.trimEnd());
    for (const more of chunks.slice(1)) lines.push(`${' '.repeat(indent)}${more}`);
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    out.push(line);
  }
  return out;
}

export function summary(results: readonly CheckResult[]): string {
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  return `${count('ok')} ok, ${count('warn')} warn, ${count('FAIL')} FAIL`;
}

/** 1 when a check failed (or, with `strict`, warned); else 0. */
export function exitCode(results: readonly CheckResult[], strict = false): number {
  return results.some((r) => r.status === 'FAIL' || (strict && r.status === 'warn')) ? 1 : 0;
}
