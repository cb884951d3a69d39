/**
 * Who did the work: the counters of each service's /metrics, per host. A
 * process's counters start from zero when it starts again (server B comes
 * back), so the ledger keeps the last value seen of every process run and
 * sums them.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text exposition format (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line.slice(0, 200)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include every pair of `match`. */
export function sumSamples(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** A counter of one service on one host, by the label values that tell the work apart. */
export interface CounterKey {
  host: string;
  service: string;
  /** e.g. "TRANSLATE" (a queue) or "insight" (an LLM prompt kind). */
  what: string;
}

const keyOf = (k: CounterKey) => `${k.host}\u0000${k.service}\u0000${k.what}`;

/**
 * Totals of counters over every run of every process. `observe` records the
 * current value of one run (`run` = an id that changes when the process is
 * started again); a run's total is the highest value seen of it.
 */
export class CounterLedger {
  private readonly runs = new Map<string, Map<string, number>>();

  observe(key: CounterKey, run: string, value: number): void {
    const k = keyOf(key);
    let byRun = this.runs.get(k);
    if (!byRun) this.runs.set(k, (byRun = new Map()));
    byRun.set(run, Math.max(byRun.get(run) ?? 0, value));
  }

  total(key: CounterKey): number {
    let sum = 0;
    for (const v of this.runs.get(keyOf(key))?.values() ?? []) sum += v;
    return sum;
  }

  /** Sum over every service of a host for one `what`. */
  hostTotal(host: string, what: string): number {
    let sum = 0;
    for (const [k, byRun] of this.runs) {
      const [h, , w] = k.split('\u0000');
      if (h === host && w === what) for (const v of byRun.values()) sum += v;
    }
    return sum;
  }
}
