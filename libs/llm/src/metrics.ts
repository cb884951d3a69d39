import { Counter, Histogram, Registry, type Metric } from 'prom-client';

/** The client's Prometheus metrics; reused when several clients share one registry. */
export interface LlmMetrics {
  requests: Counter<'service' | 'model' | 'kind' | 'outcome'>;
  duration: Histogram<'service' | 'model' | 'kind' | 'outcome'>;
  tokens: Counter<'service' | 'model' | 'type'>;
  retries: Counter<'service' | 'model' | 'kind' | 'reason'>;
}

function getOrCreate<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function createLlmMetrics(registry: Registry = new Registry()): LlmMetrics {
  const registers = [registry];
  return {
    requests: getOrCreate(registry, 'llm_requests_total', () => new Counter({
      name: 'llm_requests_total',
      help: 'LLM HTTP attempts by outcome (ok, malformed, rate_limited, server_error, timeout, connection_error, client_error, aborted, invalid_response)',
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
    tokens: getOrCreate(registry, 'llm_tokens_total', () => new Counter({
      name: 'llm_tokens_total',
      help: 'Tokens reported by the provider, by type (prompt, completion)',
      labelNames: ['service', 'model', 'type'] as const,
      registers,
    })),
    retries: getOrCreate(registry, 'llm_retries_total', () => new Counter({
      name: 'llm_retries_total',
      help: 'LLM attempts retried, by the reason of the failed attempt',
      labelNames: ['service', 'model', 'kind', 'reason'] as const,
      registers,
    })),
  };
}
