import type { SimStatsSnapshot } from './stats';

/**
 * llm-sim's statistics over HTTP, for a caller that runs it as its own
 * process (test:ha, bench:pipeline): `GET /stats`, `POST /stats/reset`.
 */
export class SimClient {
  /** `origin`: http://host:port, without the /v1 of the OpenAI base URL. */
  constructor(private readonly origin: string) {}

  async stats(): Promise<SimStatsSnapshot> {
    const res = await fetch(`${this.origin}/stats`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`llm-sim GET /stats answered ${res.status}`);
    return (await res.json()) as SimStatsSnapshot;
  }

  /** Zeroes the stats and the account's windows. */
  async reset(): Promise<void> {
    const res = await fetch(`${this.origin}/stats/reset`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`llm-sim POST /stats/reset answered ${res.status}`);
  }
}
