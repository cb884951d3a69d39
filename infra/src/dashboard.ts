/**
 * The provisioned Grafana dashboard "VOC pipeline", built from the metric
 * names the code exports (libs/rate-limiter, libs/llm, libs/messaging,
 * apps/gateway, libs/pipeline's sweeper) and the NATS exporter's JetStream
 * metrics. The tests check that every metric named here exists in the code.
 */

interface Target {
  expr: string;
  legend: string;
}

interface Panel {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
}

interface Row {
  title: string;
  panels: Panel[];
}

// JetStream metrics carry every node's copy; the leader's value is the authoritative one.
const LEADER_CONSUMER = 'is_consumer_leader="true"';
const LEADER_STREAM = 'is_stream_leader="true"';

export const DASHBOARD_ROWS: readonly Row[] = [
  {
    title: 'Queues (JetStream)',
    panels: [
      {
        title: 'Queue depth',
        description: 'Messages waiting in each work queue (the durable consumer\'s pending count).',
        unit: 'short',
        targets: [{ expr: `max by (stream_name) (jetstream_consumer_num_pending{${LEADER_CONSUMER}})`, legend: '{{stream_name}}' }],
      },
      {
        title: 'In flight',
        description: 'Messages delivered and not yet acknowledged, per queue.',
        unit: 'short',
        targets: [{ expr: `max by (stream_name) (jetstream_consumer_num_ack_pending{${LEADER_CONSUMER}})`, legend: '{{stream_name}}' }],
      },
      {
        title: 'Redeliveries',
        description: 'Messages being redelivered (JetStream) and retries decided by the services (nak with delay).',
        unit: 'short',
        targets: [
          { expr: `max by (stream_name) (jetstream_consumer_num_redelivered{${LEADER_CONSUMER}})`, legend: 'redelivered {{stream_name}}' },
          { expr: 'sum by (queue) (rate(messages_processed_total{outcome="retry"}[5m]))', legend: 'retries/s {{queue}}' },
        ],
      },
      {
        title: 'Dead letters (DLQ)',
        description: 'Messages in the DLQ stream, and moves into it per queue over the last hour.',
        unit: 'short',
        targets: [
          { expr: `max(jetstream_stream_total_messages{stream_name="DLQ",${LEADER_STREAM}})`, legend: 'in DLQ' },
          { expr: 'sum by (queue) (increase(dlq_moves_total[1h]))', legend: 'moved/h {{queue}}' },
        ],
      },
    ],
  },
  {
    title: 'Throughput',
    panels: [
      {
        title: 'Messages handled per stage',
        description: 'Successfully handled messages per second, per queue.',
        unit: 'ops',
        targets: [{ expr: 'sum by (queue) (rate(messages_processed_total{outcome="success"}[5m]))', legend: '{{queue}}' }],
      },
      {
        title: 'Handler time p95',
        description: 'Time to handle one message, limiter waits included.',
        unit: 's',
        targets: [
          { expr: 'histogram_quantile(0.95, sum by (le, queue) (rate(handler_duration_seconds_bucket[5m])))', legend: '{{queue}}' },
        ],
      },
      {
        title: 'Held messages per process',
        description: 'Messages each process holds (at most its CONCURRENCY).',
        unit: 'short',
        targets: [{ expr: 'sum by (service, node) (in_flight)', legend: '{{service}}@{{node}}' }],
      },
      {
        title: 'Uploads',
        description: 'Reviews accepted by the gateway, and its answers by status.',
        unit: 'ops',
        targets: [
          { expr: 'sum(rate(gateway_reviews_accepted_total[5m]))', legend: 'reviews accepted/s' },
          { expr: 'sum by (status) (rate(gateway_http_requests_total[5m]))', legend: 'HTTP {{status}}' },
        ],
      },
      {
        title: 'Sweeper re-publications',
        description: 'Work the sweeper found pending too long and published again, per stage (15 min).',
        unit: 'short',
        targets: [{ expr: 'sum by (stage) (increase(voc_sweeper_requeued_total[15m]))', legend: '{{stage}}' }],
      },
    ],
  },
  {
    title: 'Global LLM rate limiter',
    panels: [
      {
        title: 'Granted rate against the limit',
        description: 'Requests the fleet-wide limiter let through per second, against MAX_API_RPS (the dashboard variable).',
        unit: 'reqps',
        targets: [
          { expr: 'sum by (key) (rate(rate_limiter_grants_total[1m]))', legend: 'granted {{key}}' },
          { expr: 'vector($max_api_rps)', legend: 'MAX_API_RPS' },
        ],
      },
      {
        title: '429 pauses',
        description: 'Fleet-wide pauses started after a provider 429, and the 429 answers themselves.',
        unit: 'short',
        targets: [
          { expr: 'sum by (key) (increase(rate_limiter_pauses_total[5m]))', legend: 'pauses {{key}}' },
          { expr: 'sum(increase(llm_requests_total{outcome="rate_limited"}[5m]))', legend: '429 answers' },
        ],
      },
      {
        title: 'Limiter wait p95 and waiting callers',
        description: 'How long callers wait for a grant (vip before normal) and how many wait.',
        unit: 's',
        targets: [
          { expr: 'histogram_quantile(0.95, sum by (le, priority) (rate(rate_limiter_wait_seconds_bucket[5m])))', legend: 'p95 {{priority}}' },
          { expr: 'sum by (priority) (rate_limiter_waiting)', legend: 'waiting {{priority}}' },
        ],
      },
      {
        title: 'Limiter degraded (Redis unreachable)',
        description: '1 while a process cannot reach Redis and grants nothing (fail closed).',
        unit: 'short',
        targets: [{ expr: 'max by (service, node) (rate_limiter_degraded)', legend: '{{service}}@{{node}}' }],
      },
    ],
  },
  {
    title: 'LLM',
    panels: [
      {
        title: 'LLM latency',
        description: 'Duration of successful LLM calls (limiter wait excluded), per kind of prompt.',
        unit: 's',
        targets: [
          { expr: 'histogram_quantile(0.5, sum by (le, kind) (rate(llm_request_duration_seconds_bucket{outcome="ok"}[5m])))', legend: 'p50 {{kind}}' },
          { expr: 'histogram_quantile(0.95, sum by (le, kind) (rate(llm_request_duration_seconds_bucket{outcome="ok"}[5m])))', legend: 'p95 {{kind}}' },
        ],
      },
      {
        title: 'LLM tokens',
        description: 'Tokens per second reported by the provider.',
        unit: 'short',
        targets: [{ expr: 'sum by (type) (rate(llm_tokens_total[5m]))', legend: '{{type}}' }],
      },
      {
        title: 'LLM calls by outcome',
        description: 'Attempts per second: ok, malformed, rate_limited, server_error, timeout, …',
        unit: 'reqps',
        targets: [{ expr: 'sum by (outcome) (rate(llm_requests_total[5m]))', legend: '{{outcome}}' }],
      },
      {
        title: 'LLM retries',
        description: 'Attempts retried, by the reason of the failed attempt.',
        unit: 'ops',
        targets: [{ expr: 'sum by (reason) (rate(llm_retries_total[5m]))', legend: '{{reason}}' }],
      },
    ],
  },
  {
    title: 'Processes',
    panels: [
      {
        title: 'Targets up',
        description: 'Scrape targets answering /metrics, per job.',
        unit: 'short',
        targets: [{ expr: 'sum by (job) (up)', legend: '{{job}}' }],
      },
      {
        title: 'Resident memory',
        description: 'RSS of every service process (limits: see infra/README.md).',
        unit: 'bytes',
        targets: [{ expr: 'sum by (service, node) (process_resident_memory_bytes)', legend: '{{service}}@{{node}}' }],
      },
    ],
  },
];

/** Metric names the dashboard's queries use (for the tests' check against the code). */
export function dashboardMetricNames(): string[] {
  const names = new Set<string>();
  for (const row of DASHBOARD_ROWS) {
    for (const p of row.panels) {
      for (const t of p.targets) {
        const bare = t.expr
          .replace(/\bby\s*\([^)]*\)/g, ' ') // grouping labels
          .replace(/\{[^}]*\}/g, ' ') // label matchers
          .replace(/\[[^\]]*\]/g, ' ') // range selectors
          .replace(/\$\w+/g, ' '); // dashboard variables
        // Identifiers not followed by "(" are metric names (functions and aggregations are).
        for (const m of bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)) {
          if (!/^\d/.test(m[1]!)) names.add(m[1]!);
        }
      }
    }
  }
  return [...names].sort();
}

/** The dashboard as Grafana's JSON model. */
export function dashboardJson(): string {
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of DASHBOARD_ROWS) {
    panels.push({ type: 'row', id: id++, title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    row.panels.forEach((p, i) => {
      const w = 12;
      panels.push({
        type: 'timeseries',
        id: id++,
        title: p.title,
        description: p.description,
        datasource: { type: 'prometheus', uid: 'prometheus' },
        gridPos: { h: 8, w, x: (i % 2) * w, y: y + Math.floor(i / 2) * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
        targets: p.targets.map((t, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource: { type: 'prometheus', uid: 'prometheus' },
          expr: t.expr,
          legendFormat: t.legend,
        })),
      });
    });
    y += Math.ceil(row.panels.length / 2) * 8;
  }
  const dashboard = {
    uid: 'voc-pipeline',
    title: 'VOC pipeline',
    description: 'Generated by infra/generate.ts: queues, throughput, the global LLM limiter, LLM calls.',
    tags: ['voc'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    templating: {
      list: [
        {
          type: 'textbox',
          name: 'max_api_rps',
          label: 'MAX_API_RPS',
          description: 'The limit to draw against the granted rate (seed 000: 200; 8 for qwen3-max).',
          query: '200',
          current: { text: '200', value: '200' },
        },
      ],
    },
    panels,
  };
  return JSON.stringify(dashboard, null, 2) + '\n';
}
