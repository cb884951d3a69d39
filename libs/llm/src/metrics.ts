import { Counter, Histogram, Registry, type Metric } from 'prom-client';

type UsageLabels = { service: string; model: string; kind: string };

/** The client's Prometheus metrics; reused when several clients share one registry. */
export interface LlmMetrics {
  requests: Counter<'service' | 'model' | 'kind' | 'outcome'>;
  duration: Histogram<'service' | 'model' | 'kind' | 'outcome'>;
  tokens: Counter<'service' | 'model' | 'kind' | 'type'>;
  cost: Counter<'service' | 'model' | 'kind'>;
  retries: Counter<'service' | 'model' | 'kind' | 'reason'>;
  throttled: Counter<'service' | 'model' | 'cause'>;
  halts: Counter<'service' | 'model'>;
  /** Granted requests not sent because their window had closed (a slot dropped late; the call acquires again). */
  sendMissed: Counter<'service' | 'model'>;
  /** How long after its slot's time each request left (the send thread's or this thread's clock). */
  sendLateness: Histogram<'service' | 'model'>;
  /** Counts one answered call's tokens (prompt, completion, cached) and cost. */
  recordUsage(labels: UsageLabels, usage: { promptTokens: number; completionTokens: number; cachedTokens: number }, cost: number): void;
}

/** The registry's metric of that name, or a new one: several clients (and the call slots) share one registry. */
export function getOrCreate<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function createLlmMetrics(registry: Registry = new Registry()): LlmMetrics {
  const registers = [registry];
  const tokens = getOrCreate(registry, 'llm_tokens_total', () => new Counter({
    name: 'llm_tokens_total',
    help: 'Tokens reported by the provider, by stage (prompt kind) and type (prompt, completion, cached: the part of prompt served from the context cache)',
    labelNames: ['service', 'model', 'kind', 'type'] as const,
    registers,
  }));
  const cost = getOrCreate(registry, 'llm_cost_total', () => new Counter({
    name: 'llm_cost_total',
    help: 'Cost of answered calls from LLM_PRICES (per million tokens; CNY by the project convention), by stage',
    labelNames: ['service', 'model', 'kind'] as const,
    registers,
  }));
  return {
    requests: getOrCreate(registry, 'llm_requests_total', () => new Counter({
      name: 'llm_requests_total',
      help: 'LLM HTTP attempts by outcome (ok, malformed, rate_limited, account_refused, server_error, timeout, connection_error, client_error, aborted, invalid_response)',
      labelNames: ['service', 'model', 'kind', 'outcome'] as const,
      registers,
    })),
    duration: getOrCreate(registry, 'llm_request_duration_seconds', () => new Histogram({
      name: 'llm_request_duration_seconds',
      help: 'Duration of one LLM HTTP attempt, limiter wait excluded',
      labelNames: ['service', 'model', 'kind', 'outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
      registers,
    })),
    tokens,
    cost,
    retries: getOrCreate(registry, 'llm_retries_total', () => new Counter({
      name: 'llm_retries_total',
      help: 'LLM attempts retried, by the reason of the failed attempt',
      labelNames: ['service', 'model', 'kind', 'reason'] as const,
      registers,
    })),
    throttled: getOrCreate(registry, 'llm_throttled_total', () => new Counter({
      name: 'llm_throttled_total',
      help: 'Provider 429s by cause (requests, tokens, burst, unknown); each paused the fleet',
      labelNames: ['service', 'model', 'cause'] as const,
      registers,
    })),
    halts: getOrCreate(registry, 'llm_account_refusals_total', () => new Counter({
      name: 'llm_account_refusals_total',
      help: 'Calls refused because the account is in arrears or its quota is exhausted (403); each halted the fleet',
      labelNames: ['service', 'model'] as const,
      registers,
    })),
    sendMissed: getOrCreate(registry, 'llm_send_missed_total', () => new Counter({
      name: 'llm_send_missed_total',
      help: 'Granted LLM requests not sent because their sender got to them after the limiter margin; each acquired again',
      labelNames: ['service', 'model'] as const,
      registers,
    })),
    sendLateness: getOrCreate(registry, 'llm_send_lateness_seconds', () => new Histogram({
      name: 'llm_send_lateness_seconds',
      help: "How long after its slot's time each LLM request left",
      labelNames: ['service', 'model'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1],
      registers,
    })),
    recordUsage(labels, usage, amount) {
      tokens.inc({ ...labels, type: 'prompt' }, usage.promptTokens);
      tokens.inc({ ...labels, type: 'completion' }, usage.completionTokens);
      if (usage.cachedTokens > 0) tokens.inc({ ...labels, type: 'cached' }, usage.cachedTokens);
      if (amount > 0) cost.inc(labels, amount);
    },
  };
}
