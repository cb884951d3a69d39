/**
 * The runner's Prometheus metrics. Several runners may share one registry
 * (a service with two queues), so each metric is registered once and reused.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const METRIC_NAMES = {
  processed: 'messages_processed_total',
  duration: 'handler_duration_seconds',
  inFlight: 'in_flight',
  dlqMoves: 'dlq_moves_total',
} as const;

/**
 * - success: handled and acked;
 * - retry: failed, nak'ed with a delay;
 * - dead_letter: moved to the DLQ (PermanentError, or failed on its last delivery);
 * - invalid: undecodable payload, moved to the DLQ;
 * - released: handed back unfinished (nak, no delay) because the runner stopped;
 * - held: failed because a dependency was down; kept (no delivery spent) and run again once it is back.
 */
export type Outcome = 'success' | 'retry' | 'dead_letter' | 'invalid' | 'released' | 'held';

export interface RunnerMetrics {
  processed: Counter<'queue' | 'outcome'>;
  duration: Histogram<'queue'>;
  inFlight: Gauge<'queue'>;
  dlqMoves: Counter<'queue'>;
}

function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function runnerMetrics(registry: Registry): RunnerMetrics {
  const registers = [registry];
  return {
    processed: reuse(registry, METRIC_NAMES.processed, () =>
      new Counter({
        name: METRIC_NAMES.processed,
        help: 'Messages handled, by queue and outcome (success, retry, dead_letter, invalid, released, held)',
        labelNames: ['queue', 'outcome'] as const,
        registers,
      }),
    ),
    duration: reuse(registry, METRIC_NAMES.duration, () =>
      new Histogram({
        name: METRIC_NAMES.duration,
        help: 'Handler run time in seconds, including waits for the LLM rate limiter',
        labelNames: ['queue'] as const,
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
        registers,
      }),
    ),
    inFlight: reuse(registry, METRIC_NAMES.inFlight, () =>
      new Gauge({
        name: METRIC_NAMES.inFlight,
        help: 'Messages this process holds right now (at most its CONCURRENCY)',
        labelNames: ['queue'] as const,
        registers,
      }),
    ),
    dlqMoves: reuse(registry, METRIC_NAMES.dlqMoves, () =>
      new Counter({
        name: METRIC_NAMES.dlqMoves,
        help: 'Messages this process moved to the DLQ (runner verdicts and max-deliveries advisories)',
        labelNames: ['queue'] as const,
        registers,
      }),
    ),
  };
}
