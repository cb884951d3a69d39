import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Where an upload's time goes (bench:gateway reads these). */
export const UPLOAD_PHASES = ['limit', 'read', 'parse', 'validate', 'plan', 'publish'] as const;
export type UploadPhase = (typeof UPLOAD_PHASES)[number];

export interface GatewayMetrics {
  requests: Counter<'method' | 'route' | 'status' | 'key'>;
  duration: Histogram<'method' | 'route' | 'key'>;
  reviewsAccepted: Counter<'key'>;
  partsPublished: Counter<'result'>;
  uploadPhase: Histogram<'phase'>;
  keyLimited: Counter<'key' | 'reason'>;
  keyLimitsDegraded: Gauge;
  keyLimitsFailOpen: Counter<'check'>;
  bodyBytesInFlight: Gauge;
  bodiesRefused: Counter<'reason'>;
  webhookDeliveries: Counter<'key' | 'result'>;
}

/**
 * Request counts and latencies per route template (never the raw path: ASINs
 * would explode the series) and per key id (a short configured list; `none`
 * before authentication).
 */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests answered, by route template, status and key id',
      labelNames: ['method', 'route', 'status', 'key'],
      registers,
    }),
    duration: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time from request to response, by route template and key id',
      labelNames: ['method', 'route', 'key'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    reviewsAccepted: new Counter({
      name: 'gateway_reviews_accepted_total',
      help: 'Reviews in uploads answered 202 (re-sent ones included), by key id',
      labelNames: ['key'],
      registers,
    }),
    partsPublished: new Counter({
      name: 'gateway_ingest_parts_total',
      help: 'INGEST messages published; result=duplicate when JetStream already held the same content',
      labelNames: ['result'],
      registers,
    }),
    uploadPhase: new Histogram({
      name: 'gateway_upload_phase_seconds',
      help: "Time an accepted upload spent in each phase: limit (waiting for the key's rate decision from Redis: only a key near its limit waits), read (body off the socket), parse (UTF-8, depth, JSON), validate, plan (split and hash), publish (until every PubAck)",
      labelNames: ['phase'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    }),
    keyLimited: new Counter({
      name: 'gateway_key_limited_total',
      help: 'Requests refused with 429 by a per-key limit, by key id and reason (rate_limited, quota_exceeded, cooldown)',
      labelNames: ['key', 'reason'],
      registers,
    }),
    keyLimitsDegraded: new Gauge({
      name: 'gateway_key_limits_degraded',
      help: '1 while Redis does not answer the per-key limit checks (they fail open: not enforced)',
      registers,
    }),
    keyLimitsFailOpen: new Counter({
      name: 'gateway_key_limits_fail_open_total',
      help: 'Per-key limit checks let through unchecked because Redis did not answer',
      labelNames: ['check'],
      registers,
    }),
    bodyBytesInFlight: new Gauge({
      name: 'gateway_body_bytes_in_flight',
      help: 'Request body bytes reserved by requests being read or handled (bounded by GATEWAY_BODY_BUDGET)',
      registers,
    }),
    bodiesRefused: new Counter({
      name: 'gateway_bodies_refused_total',
      help: 'Request bodies refused before or while reading: too_large (413), busy (503, over GATEWAY_BODY_BUDGET)',
      labelNames: ['reason'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'gateway_webhook_deliveries_total',
      help: 'Upload completion webhooks sent, by key id and result (delivered, failed_attempt, gave_up)',
      labelNames: ['key', 'result'],
      registers,
    }),
  };
}
