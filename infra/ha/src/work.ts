/**
 * Who did the work: every pipeline service of A and B is read every few
 * seconds (its /metrics: messages acked per queue), and the counters of each
 * process run are kept (a host that dies and boots starts from zero), so the
 * run can show that both hosts worked, as seed 000 splits the work: both
 * translate, B extracts insights and themes.
 */
import { CounterLedger, parsePrometheus, type PlannedService } from '@voc/two-hosts/harness';
import { HA_HOSTS, type ServerHost } from './testbed';

const PROCESSED = 'messages_processed_total';
/** Changes when a process starts again: a new run of its counters. */
const START_TIME = 'process_start_time_seconds';

/** The hosts that run the pipeline's services. */
export type AppHost = Exclude<ServerHost, 'witness'>;

export type WorkPerHost = Record<AppHost, Record<string, number>>;

/** Reads one service's counters into the ledger (a process that does not answer is skipped). */
export async function readWork(ledger: CounterLedger, role: AppHost, svc: PlannedService, timeoutMs = 2000): Promise<void> {
  const res = await fetch(`http://${HA_HOSTS[role].address}:${svc.port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) return;
  const samples = parsePrometheus(await res.text());
  const run = String(samples.find((s) => s.name === START_TIME)?.value ?? 'unknown');
  for (const s of samples) {
    if (s.name !== PROCESSED || s.labels.outcome !== 'success' || !s.labels.queue) continue;
    ledger.observe({ host: role, service: svc.name, what: s.labels.queue }, run, s.value);
  }
}

/** Samples every service of the hosts every `everyMs` until stopped. */
export class WorkWatch {
  readonly ledger = new CounterLedger();
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly services: Record<AppHost, PlannedService[]>) {}

  start(everyMs = 5000): void {
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const reads = (Object.entries(this.services) as [AppHost, PlannedService[]][]).flatMap(([role, list]) =>
        list.map((svc) => readWork(this.ledger, role, svc).catch(() => undefined)),
      );
      await Promise.all(reads);
    } finally {
      this.busy = false;
    }
  }

  /** A last sample, then messages acked per queue on each host. */
  async stop(queues: readonly string[]): Promise<WorkPerHost> {
    clearInterval(this.timer);
    await this.sample();
    const out = {} as WorkPerHost;
    for (const role of Object.keys(this.services) as AppHost[]) {
      out[role] = Object.fromEntries(queues.map((q) => [q, this.ledger.hostTotal(role, q)]));
    }
    return out;
  }
}
