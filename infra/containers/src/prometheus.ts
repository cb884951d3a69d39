/**
 * What server A's Prometheus (the shipped configuration, in its container)
 * knows: its own scrape targets (`/api/v1/targets`), the `up` series that
 * server B's agent remote-writes (so B's targets are checked through A, as
 * an operator sees them), PromQL queries, and the Grafana dashboard's queries
 * run against it (Grafana itself has no Debian package and is not run).
 */
import { DASHBOARD_ROWS } from '@voc/infra';

export interface Target {
  job: string;
  instance: string;
  health: string;
  lastError: string;
  /** The Prometheus that scrapes it: server-a itself, or the host label of an agent's remote write. */
  scrapedBy: string;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export interface DashboardQuery {
  panel: string;
  expr: string;
  /** Error message when Prometheus refused the query. */
  error?: string;
  series: number;
}

export class PrometheusClient {
  constructor(readonly baseUrl: string) {}

  private async api<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${pathAndQuery}: ${res.status} ${body.error ?? ''}`);
    return body.data;
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.baseUrl}/-/ready`, { signal: AbortSignal.timeout(3000) })).ok;
    } catch {
      return false;
    }
  }

  async query(expr: string): Promise<VectorSample[]> {
    const data = await this.api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    if (data.resultType === 'scalar') return [{ metric: {}, value: Number((data.result as unknown as [number, string])[1]) }];
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** A's active targets, and B's as the `up` series its agent remote-wrote (labelled host=server-b). */
  async targets(): Promise<Target[]> {
    const own = await this.api<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>('/api/v1/targets?state=active');
    const out: Target[] = own.activeTargets.map((t) => ({
      job: t.labels.job ?? '?',
      instance: t.labels.instance ?? '?',
      health: t.health,
      lastError: t.lastError,
      scrapedBy: 'server-a',
    }));
    for (const s of await this.query('up{host!=""}')) {
      out.push({
        job: s.metric.job ?? '?',
        instance: s.metric.instance ?? '?',
        health: s.value === 1 ? 'up' : 'down',
        lastError: s.value === 1 ? '' : 'up = 0 (remote-written by the agent)',
        scrapedBy: s.metric.host ?? '?',
      });
    }
    return out;
  }

  /** Every query of the provisioned dashboard, `$max_api_rps` replaced by `maxApiRps`. */
  async dashboardQueries(maxApiRps: number): Promise<DashboardQuery[]> {
    const out: DashboardQuery[] = [];
    for (const row of DASHBOARD_ROWS) {
      for (const p of row.panels) {
        for (const t of p.targets) {
          const expr = t.expr.replace(/\$max_api_rps\b/g, String(maxApiRps));
          try {
            out.push({ panel: p.title, expr, series: (await this.query(expr)).length });
          } catch (e) {
            out.push({ panel: p.title, expr, series: 0, error: (e as Error).message });
          }
        }
      }
    }
    return out;
  }
}
