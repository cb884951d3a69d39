/**
 * The third-party images of the deployment, one place: what production
 * runs by default. Each is also a host variable (variables.ts) so an
 * operator can pin a mirror, and a test bed without a registry can run
 * stand-ins (infra/containers) through the same compose files.
 */
export interface OfficialImage {
  /** The host variable that replaces it (`${VAR:-default}` in the compose files). */
  variable: string;
  image: string;
  what: string;
}

export const OFFICIAL_IMAGES = {
  node: { variable: 'NODE_IMAGE', image: 'node:20-bookworm-slim', what: 'base of the application image (the Dockerfile build argument NODE_IMAGE)' },
  postgres: { variable: 'POSTGRES_IMAGE', image: 'postgres:15-bookworm', what: 'PostgreSQL' },
  redis: { variable: 'REDIS_IMAGE', image: 'redis:7.2-bookworm', what: 'Redis' },
  nats: { variable: 'NATS_IMAGE', image: 'nats:2.10-alpine', what: 'the NATS nodes' },
  prometheus: { variable: 'PROMETHEUS_IMAGE', image: 'prom/prometheus:v2.55.1', what: 'Prometheus (server on A, agent elsewhere)' },
  grafana: { variable: 'GRAFANA_IMAGE', image: 'grafana/grafana:11.3.0', what: 'Grafana' },
  natsExporter: { variable: 'NATS_EXPORTER_IMAGE', image: 'natsio/prometheus-nats-exporter:0.17.3', what: 'the NATS Prometheus exporter' },
} as const satisfies Record<string, OfficialImage>;
