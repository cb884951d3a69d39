/**
 * Reads every service's /metrics over the test network and keeps who did
 * what: messages acked per queue (`messages_processed_total`, outcome
 * success) and LLM answers per prompt kind (`llm_requests_total`, outcome
 * ok), per host. A killed process's last scrape stays in the ledger.
 */
import type { RunningApp } from '@voc/local-stack';
import { emptyWorkShare, STAGES, type Stage, type WorkShare } from './figures';
import { CounterLedger, parsePrometheus, sumSamples } from './metrics';
import type { HostRole, TestHost } from './testbed';

export interface ObservedApp {
  host: TestHost;
  /** The compose service name (e.g. translate-svc). */
  service: string;
  app: RunningApp;
}

/** The LLM prompt kinds whose answers count for each stage. */
export const STAGE_PROMPT_KINDS: Record<Stage, string[]> = {
  INGEST: [],
  TRANSLATE: ['translate_single', 'translate_batch'],
  LEARNING: ['learning'],
  INSIGHT: ['insight'],
  THEME: ['theme'],
};

const msg = (stage: string) => `msg:${stage}`;
const llm = (kind: string) => `llm:${kind}`;

export class Observer {
  private readonly ledger = new CounterLedger();
  private readonly lagMaxMs = new Map<string, number>();

  /** Scrapes one process; resolves false when it did not answer (dead, or not up yet). */
  async scrape(o: ObservedApp): Promise<boolean> {
    let text: string;
    try {
      const res = await fetch(`http://${o.host.address}:${o.app.port}/metrics`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) return false;
      text = await res.text();
    } catch {
      return false;
    }
    const samples = parsePrometheus(text);
    // prom-client resets the event-loop histogram on every scrape: each value is the worst since the last one.
    const lag = Math.round(sumSamples(samples, 'nodejs_eventloop_lag_max_seconds') * 1000);
    this.lagMaxMs.set(o.service, Math.max(this.lagMaxMs.get(o.service) ?? 0, lag));
    const run = String(o.app.pid);
    const key = (what: string) => ({ host: o.host.role, service: o.service, what });
    for (const stage of STAGES) {
      this.ledger.observe(key(msg(stage)), run, sumSamples(samples, 'messages_processed_total', { queue: stage, outcome: 'success' }));
      for (const kind of STAGE_PROMPT_KINDS[stage]) {
        this.ledger.observe(key(llm(kind)), run, sumSamples(samples, 'llm_requests_total', { kind, outcome: 'ok' }));
      }
    }
    return true;
  }

  async scrapeAll(apps: ObservedApp[]): Promise<void> {
    await Promise.all(apps.map((a) => this.scrape(a)));
  }

  /** The longest event-loop stall seen in a service (any host), ms. */
  eventLoopLagMaxMs(service: string): number {
    return this.lagMaxMs.get(service) ?? 0;
  }

  messages(host: HostRole, stage: Stage): number {
    return this.ledger.hostTotal(host, msg(stage));
  }

  llmAnswers(host: HostRole, stage: Stage): number {
    return STAGE_PROMPT_KINDS[stage].reduce((n, kind) => n + this.ledger.hostTotal(host, llm(kind)), 0);
  }

  workShare(): WorkShare {
    const w = emptyWorkShare();
    for (const stage of STAGES) {
      for (const host of ['server-a', 'server-b'] as const) {
        w[stage][host] = { messages: this.messages(host, stage), llmAnswers: this.llmAnswers(host, stage) };
      }
    }
    return w;
  }
}
