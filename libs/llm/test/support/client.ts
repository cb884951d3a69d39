import { Registry } from 'prom-client';
import { createLlmClient, type LlmClient, type LlmClientOptions, type LlmUsage } from '../../src';
import type { RetryPolicy } from '../../src/retry';
import { MemoryLimiter } from './memory-limiter';

/** Short backoffs: the tests exercise the retry paths, not the production waits. */
export const FAST_RETRY: Partial<RetryPolicy> = {
  baseDelayMs: { vip: 5, normal: 20 },
  maxDelayMs: { vip: 50, normal: 200 },
};

export interface TestClient {
  client: LlmClient;
  limiter: MemoryLimiter;
  registry: Registry;
  usage: LlmUsage[];
}

export function testClient(baseUrl: string, overrides: Partial<LlmClientOptions> = {}): TestClient {
  const limiter = new MemoryLimiter();
  const registry = new Registry();
  const usage: LlmUsage[] = [];
  const client = createLlmClient({
    baseUrl,
    apiKey: 'sim-key',
    model: 'qwen-plus-latest',
    limiter,
    service: 'llm-test',
    registry,
    maxRetries: 5,
    timeoutMs: 15_000,
    retryPolicy: FAST_RETRY,
    onUsage: (u) => {
      usage.push(u);
    },
    ...overrides,
  });
  return { client, limiter, registry, usage };
}

/** The sum of a counter's samples (or a histogram's observation count) whose labels include `match`. */
export async function metricSum(registry: Registry, name: string, match: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(match).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    // Counters have plain samples; for a histogram, count its observations.
    .filter((v) => {
      const sample = (v as { metricName?: string }).metricName;
      return sample === undefined || sample === `${name}_count`;
    })
    .reduce((sum, v) => sum + v.value, 0);
}
