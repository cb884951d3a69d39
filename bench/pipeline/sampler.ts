/**
 * What `bench:pipeline` reads once a second while the pipeline works: the
 * LLM services' /metrics (limiter grants, finished LLM attempts, callers
 * waiting at the limiter, the limiter's budget factor, pauses, dropped
 * slots), JetStream's pending and in-flight messages per queue, llm-sim's
 * stats, each product's progress at the gateway, and each service's RSS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ServiceName } from '@voc/config';
import type { GatewayClient, Pipeline } from '@voc/e2e';
import { queueStats, type QueueName } from '@voc/messaging';
import type { JetStreamManager } from 'nats';

/** The services that call the LLM, and the stage each one is for. */
export const LLM_SERVICES = ['translate-svc', 'learning-svc', 'insight-svc', 'theme-svc'] as const satisfies readonly ServiceName[];
export type LlmService = (typeof LLM_SERVICES)[number];
export const LLM_QUEUES = ['TRANSLATE', 'LEARNING', 'INSIGHT', 'THEME'] as const satisfies readonly QueueName[];
export const QUEUE_OF: Record<LlmService, (typeof LLM_QUEUES)[number]> = {
  'translate-svc': 'TRANSLATE',
  'learning-svc': 'LEARNING',
  'insight-svc': 'INSIGHT',
  'theme-svc': 'THEME',
};

export interface ServiceSample {
  /** rate_limiter_grants_total (every priority). */
  grants: number;
  /** llm_requests_total (every outcome): attempts that ended. */
  attempts: number;
  /** grants − attempts: LLM calls granted and not yet answered. */
  inFlight: number;
  /** rate_limiter_waiting: acquire() calls waiting in the process. */
  waiting: number;
  /** rate_limiter_budget_factor{dimension="requests"} (< 1: ramp or 429 cut). */
  budgetFactor: number;
  pauses: number;
  droppedSlots: number;
  /** rate_limiter_dropped_slots_total by reason (late, unclaimed, paused, …). */
  droppedByReason?: Record<string, number>;
  /** nodejs_eventloop_lag_p99_seconds (prom-client's, since the process started) in ms. */
  loopLagP99Ms?: number;
  /** nodejs_eventloop_lag_mean_seconds in ms. */
  loopLagMeanMs?: number;
  /** rate_limiter_dispatch_lateness_seconds_bucket: due slots reached within `le` seconds of their time (cumulative, by le). */
  latenessBuckets?: Record<string, number>;
  /** llm_call_slots_limit / _queued: the self-sized open calls and calls waiting for one (absent before issue 12's slots). */
  slotsLimit?: number;
  slotsQueued?: number;
}

export interface ProductProgress {
  learned: boolean;
  translated: number;
  insights: number;
  themes: number;
  failed: number;
}

export interface Sample {
  /** ms since the first upload began. */
  t: number;
  sim: { requests: number; rejected429: number; counted: number; byKind: Record<string, number> };
  services: Partial<Record<LlmService, ServiceSample>>;
  queues: Partial<Record<QueueName, { pending: number; inFlight: number }>>;
  /** Per product of the run (in order), its progress; undefined before the gateway knows it. */
  products: (ProductProgress | undefined)[];
  rssMb: Record<string, number>;
  /** CPU seconds used so far per service (process + children), by llm-sim's process, and by this process (`bench`). */
  cpuS?: Record<string, number>;
  /** The machine's CPU seconds so far: busy (user + nice + system + irq) and all (busy + idle + iowait). */
  machineCpuS?: { busy: number; all: number };
  /** How long this sample took to read (ms): > 1000 means the bench itself was starved. */
  readMs: number;
}

const TICK_S = 0.01; // USER_HZ: 100 on Linux

interface ProcInfo {
  children: Map<number, number[]>;
  /** utime + stime + cutime + cstime (children already reaped), in seconds. */
  cpuS: Map<number, number>;
}

/** Parent → children and CPU time of every process, from one pass over /proc. */
function processTable(): ProcInfo {
  const children = new Map<number, number[]>();
  const cpuS = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses; utime is field 14.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      cpuS.set(pid, (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_S);
      const list = children.get(ppid);
      if (list) list.push(pid);
      else children.set(ppid, [pid]);
    } catch {
      // exited meanwhile
    }
  }
  return { children, cpuS };
}

/**
 * Resident memory (MB) and CPU seconds of each of `pids` with every descendant (0 once gone), the
 * memory as bench:memory measures it (its treeRssMb, with one pass over /proc for all of them).
 */
export function treeUsage(pids: Record<string, number>): { rssMb: Record<string, number>; cpuS: Record<string, number> } {
  const table = processTable();
  const rssMb: Record<string, number> = {};
  const cpuS: Record<string, number> = {};
  for (const [name, root] of Object.entries(pids)) {
    let kb = 0;
    let cpu = 0;
    const queue = [root];
    for (let n = 0; n < queue.length && n < 10_000; n++) {
      const p = queue[n]!;
      queue.push(...(table.children.get(p) ?? []));
      cpu += table.cpuS.get(p) ?? 0;
      try {
        kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // exited between the listing and the read
      }
    }
    rssMb[name] = Math.round(kb / 1024);
    cpuS[name] = Math.round(cpu * 100) / 100;
  }
  return { rssMb, cpuS };
}

function machineCpuS(): { busy: number; all: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy * TICK_S, all: (busy + idle + iowait) * TICK_S };
}

/** Series of `metric` summed by the value of `label`. */
export function metricBy(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const key = new RegExp(`${label}="([^"]*)"`).exec(m[1]!)?.[1] ?? '';
    const v = Number(m[2]);
    if (Number.isFinite(v)) out[key] = (out[key] ?? 0) + v;
  }
  return out;
}

/**
 * Quantiles of a histogram from its cumulative buckets (by `le`): the upper
 * bound of the bucket where each quantile falls, in ms (Infinity: beyond the
 * last bound), and the share of observations above `ms`; undefined without any.
 */
export function bucketQuantiles(buckets: Record<string, number>, qs: number[], aboveMs: number): { ms: number[]; above: number; count: number } | undefined {
  const rows = Object.entries(buckets)
    .map(([le, n]) => [le === '+Inf' ? Infinity : Number(le) * 1000, n] as const)
    .sort((a, b) => a[0] - b[0]);
  const count = rows.at(-1)?.[1] ?? 0;
  if (count <= 0) return undefined;
  const ms = qs.map((q) => rows.find(([, n]) => n >= q * count)?.[0] ?? Infinity);
  const within = rows.filter(([le]) => le <= aboveMs).at(-1)?.[1] ?? 0;
  return { ms, above: (count - within) / count, count };
}

/** Sum of every series of `metric` in a Prometheus text exposition, optionally only those whose labels contain `having`. */
export function metricSum(text: string, metric: string, having?: string): number {
  let sum = 0;
  const re = new RegExp(`^${metric}(\\{[^}]*\\})? (\\S+)$`, 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (having && !(m[1] ?? '').includes(having)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

/** The smallest value among the series of `metric` (with `having`), or undefined. */
function metricMin(text: string, metric: string, having?: string): number | undefined {
  let min: number | undefined;
  const re = new RegExp(`^${metric}(\\{[^}]*\\})? (\\S+)$`, 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (having && !(m[1] ?? '').includes(having)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) min = min === undefined ? v : Math.min(min, v);
  }
  return min;
}

async function serviceSample(url: string): Promise<ServiceSample | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const grants = metricSum(text, 'rate_limiter_grants_total');
    const attempts = metricSum(text, 'llm_requests_total');
    // A grant its send thread reached too late was never sent (and is no attempt): not in flight.
    const missed = metricSum(text, 'llm_send_missed_total');
    return {
      grants,
      attempts,
      inFlight: Math.max(0, grants - attempts - missed),
      waiting: metricSum(text, 'rate_limiter_waiting'),
      budgetFactor: metricMin(text, 'rate_limiter_budget_factor', 'dimension="requests"') ?? 1,
      pauses: metricSum(text, 'rate_limiter_pauses_total'),
      droppedSlots: metricSum(text, 'rate_limiter_dropped_slots_total'),
      droppedByReason: metricBy(text, 'rate_limiter_dropped_slots_total', 'reason'),
      loopLagP99Ms: metricSum(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      loopLagMeanMs: metricSum(text, 'nodejs_eventloop_lag_mean_seconds') * 1000,
      latenessBuckets: metricBy(text, 'rate_limiter_dispatch_lateness_seconds_bucket', 'le'),
      slotsLimit: metricSum(text, 'llm_call_slots_limit'),
      slotsQueued: metricSum(text, 'llm_call_slots_queued'),
    };
  } catch {
    return undefined;
  }
}

export interface SamplerDeps {
  p: Pipeline;
  gw: GatewayClient;
  jsm: JetStreamManager;
  asins: readonly string[];
  t0: number;
}

export async function takeSample(d: SamplerDeps): Promise<Sample> {
  const started = Date.now();
  const [st, services, queues, products] = await Promise.all([
    d.p.simClient.stats(),
    Promise.all(LLM_SERVICES.map(async (n) => [n, await serviceSample(`http://127.0.0.1:${d.p.apps.get(n)!.port}/metrics`)] as const)),
    queueStats(d.jsm).catch(() => undefined),
    Promise.all(
      d.asins.map(async (asin) => {
        try {
          const r = await d.gw.product(asin);
          if (r.status !== 200 || !r.body.reviews) return undefined;
          const { translated, insights, themes, failed } = r.body.reviews;
          return { learned: r.body.learned, translated, insights, themes, failed };
        } catch {
          return undefined;
        }
      }),
    ),
  ]);
  const pids = Object.fromEntries([...d.p.apps].map(([name, app]) => [name, app.pid]));
  const { rssMb, cpuS } = treeUsage(d.p.simApp ? { ...pids, 'llm-sim': d.p.simApp.pid } : pids);
  // The provider's CPU, not a service's memory: no RSS row (the bound is the services').
  delete rssMb['llm-sim'];
  const own = process.cpuUsage();
  cpuS.bench = Math.round((own.user + own.system) / 1e4) / 100;
  return {
    t: started - d.t0,
    sim: { requests: st.requests, rejected429: st.rejected429, counted: st.tokens.counted, byKind: { ...st.byKind } },
    services: Object.fromEntries(services.filter(([, s]) => s !== undefined)),
    queues: queues ? Object.fromEntries(Object.entries(queues).map(([q, s]) => [q, { pending: s.pending, inFlight: s.inFlight }])) : {},
    products,
    rssMb,
    cpuS,
    machineCpuS: machineCpuS(),
    readMs: Date.now() - started,
  };
}
