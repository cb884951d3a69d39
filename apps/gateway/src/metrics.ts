import { Counter, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  reviewsAccepted: Counter;
  partsPublished: Counter<'result'>;
}

/** Request counts and latencies per route template (never the raw path: ASINs would explode the series). */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    duration: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time from request to response, by route template',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    reviewsAccepted: new Counter({
      name: 'gateway_reviews_accepted_total',
      help: 'Reviews in uploads answered 202 (re-sent ones included)',
      registers,
    }),
    partsPublished: new Counter({
      name: 'gateway_ingest_parts_total',
      help: 'INGEST messages published; result=duplicate when JetStream already held the same content',
      labelNames: ['result'],
      registers,
    }),
  };
}
