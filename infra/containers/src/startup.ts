/**
 * How long each container took to start: from the engine's StartedAt to the
 * container's own "ready" line (docker logs --timestamps) and to the first
 * time `docker inspect` showed it healthy. The healthy time is bounded below
 * by the healthcheck's interval (the first check runs one interval after the
 * start); the ready time is the program's own.
 */
import type { ContainerState } from './compose-host';

/** The line each kind of container writes when it serves (matched against the service name). */
export const READY_LINES: [service: RegExp, line: RegExp][] = [
  // Patroni: PostgreSQL's own line (Patroni passes its log through), or Patroni's for a running node.
  [/^pg-basebackup$/, /base backup \S+: done/],
  [/^pg-/, /database system is ready to accept connections|I am \(pg-/],
  [/^(redis|sentinel)-/, /Ready to accept connections|\+monitor master/],
  [/^etcd-/, /ready to serve client requests/],
  [/^haproxy$/, /Loading success|Proxy \S+ started/],
  [/^keepalived$/, /Entering (MASTER|BACKUP) STATE/],
  [/^nats-/, /Server is ready/],
  [/^prometheus/, /Server is ready to receive web requests/],
  // Every app of the image, llm-sim included: libs/service-kit's runService logs it.
  [/./, /"msg":"started"/],
];

export function readyPattern(service: string): RegExp {
  return READY_LINES.find(([s]) => s.test(service))![1];
}

/** Seconds from `startedAt` to the first line matching `pattern` (timestamps from `docker logs --timestamps`), if any. */
export function readyAfter(logs: string, startedAt: string, pattern: RegExp): number | undefined {
  const start = Date.parse(startedAt);
  for (const line of logs.split('\n')) {
    if (!pattern.test(line)) continue;
    const t = Date.parse(line.slice(0, line.indexOf(' ')));
    // Lines of an earlier run of the same container (a restart) come before StartedAt.
    if (Number.isFinite(t) && t >= start - 1000) return round1((t - start) / 1000);
  }
  return undefined;
}

export const round1 = (x: number) => Math.round(x * 10) / 10;

/** First time each container (by id and start) was seen healthy, as polls observe it. */
export class HealthWatch {
  private readonly firstHealthy = new Map<string, number>();

  private key(c: ContainerState): string {
    return `${c.id}@${c.startedAt}`;
  }

  observe(containers: ContainerState[], now = Date.now()): void {
    for (const c of containers) if (c.health === 'healthy' && !this.firstHealthy.has(this.key(c))) this.firstHealthy.set(this.key(c), now);
  }

  /** Seconds from the container's current start to its first healthy observation. */
  healthyAfter(c: ContainerState): number | undefined {
    const t = this.firstHealthy.get(this.key(c));
    return t === undefined ? undefined : round1(Math.max(0, t - Date.parse(c.startedAt)) / 1000);
  }
}
