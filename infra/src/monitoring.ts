/**
 * Monitoring: every host runs a Prometheus that scrapes its own containers
 * (by compose DNS, so `--scale` replicas are found); server A keeps the data
 * and serves Grafana, the others run Prometheus in agent mode and
 * remote-write to A. Adding a host therefore never changes A's files. A NATS
 * exporter beside each host's NATS nodes turns /jsz into stream and consumer
 * metrics (queue depth, redeliveries, DLQ).
 */
import { SERVICES, servicesOn, type DeployRole, type ServiceName } from '@voc/config';
import { LOGGING, mebibytes, type ComposeService } from './compose-types';
import { OFFICIAL_IMAGES } from './images';
import { natsNodesOf } from './servers';
import { endpoint, extraHosts } from './topology';
import { ref } from './variables';
import type { YamlMap } from './yaml';

/** The monitoring images, each replaceable through its host variable (images.ts). */
export const MONITORING_IMAGES = {
  prometheus: (role: DeployRole) => ref(OFFICIAL_IMAGES.prometheus.variable, role),
  grafana: (role: DeployRole) => ref(OFFICIAL_IMAGES.grafana.variable, role),
  natsExporter: (role: DeployRole) => ref(OFFICIAL_IMAGES.natsExporter.variable, role),
} as const;

export const MONITORING_MEMORY_MB = { prometheus: 512, prometheusAgent: 256, grafana: 256, natsExporter: 64 } as const;

const EXPORTER_PORT = 7777;
const SCRAPE_INTERVAL = '15s';

/** The gateway serves /metrics on its own port, not on the public one. */
const metricsPortOf = (name: ServiceName): number => {
  const def: { port: number; metricsPort?: number } = SERVICES[name];
  return def.metricsPort ?? def.port;
};

function appScrapeJobs(role: DeployRole): YamlMap[] {
  return servicesOn(role).map((name: ServiceName) => ({
    job_name: name,
    // One A record per container: every replica of a scaled service is scraped.
    dns_sd_configs: [{ names: [name], type: 'A', port: metricsPortOf(name), refresh_interval: '30s' }],
  }));
}

function natsJobs(role: DeployRole): YamlMap[] {
  return natsNodesOf(role).length ? [{ job_name: 'nats', static_configs: [{ targets: [`nats-exporter:${EXPORTER_PORT}`] }] }] : [];
}

/** prometheus.yml of server A: scrapes A, receives the other hosts' remote writes. */
export function prometheusConfig(): YamlMap {
  return {
    global: { scrape_interval: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL, external_labels: { host: 'server-a' } },
    scrape_configs: [
      ...appScrapeJobs('server-a'),
      ...natsJobs('server-a'),
      { job_name: 'prometheus', static_configs: [{ targets: ['localhost:9090'] }] },
    ],
  };
}

/** The agent config of another host: scrape locally, remote-write to A. */
export function prometheusAgentConfig(role: DeployRole): YamlMap {
  const prom = endpoint('prometheus');
  return {
    global: {
      scrape_interval: SCRAPE_INTERVAL,
      // ${NODE_NAME} is expanded by --enable-feature=expand-external-labels.
      external_labels: { host: '${NODE_NAME}' },
    },
    scrape_configs: [...appScrapeJobs(role), ...natsJobs(role)],
    remote_write: [{ url: `http://${prom.name}:${prom.port}/api/v1/write` }],
  };
}

export function prometheusService(): ComposeService {
  return {
    image: MONITORING_IMAGES.prometheus('server-a'),
    command: [
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      '--storage.tsdb.retention.time=30d',
      '--web.enable-remote-write-receiver',
    ],
    restart: 'unless-stopped',
    ports: [`${ref('PRIVATE_IP', 'server-a')}:9090:9090`],
    volumes: ['./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', 'prometheus-data:/prometheus'],
    healthcheck: {
      test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:9090/-/ready'],
      interval: '15s',
      timeout: '5s',
      retries: 3,
      start_period: '30s',
    },
    mem_limit: mebibytes(MONITORING_MEMORY_MB.prometheus),
    logging: LOGGING,
    notes: {
      service: "Seed 000's Flower, replaced: metrics of every service on every host (the others remote-write here).",
      ports: 'Private address only: the other hosts remote-write here; operators reach the UI over the private network.',
    },
  };
}

export function prometheusAgentService(role: DeployRole): ComposeService {
  return {
    image: MONITORING_IMAGES.prometheus(role),
    command: [
      '--config.file=/etc/prometheus/prometheus.yml',
      '--enable-feature=agent,expand-external-labels',
      '--storage.agent.path=/prometheus',
    ],
    restart: 'unless-stopped',
    environment: { NODE_NAME: ref('NODE_NAME', role) },
    extra_hosts: extraHosts(role),
    volumes: ['./prometheus/prometheus-agent.yml:/etc/prometheus/prometheus.yml:ro', 'prometheus-agent-data:/prometheus'],
    healthcheck: {
      test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:9090/-/ready'],
      interval: '15s',
      timeout: '5s',
      retries: 3,
      start_period: '30s',
    },
    mem_limit: mebibytes(MONITORING_MEMORY_MB.prometheusAgent),
    logging: LOGGING,
    notes: { service: "Scrapes this host's containers and remote-writes to server A's Prometheus (keeps a WAL while A is away)." },
  };
}

export function natsExporterService(role: DeployRole): ComposeService {
  const nodes = natsNodesOf(role);
  return {
    image: MONITORING_IMAGES.natsExporter(role),
    command: [`-port=${EXPORTER_PORT}`, '-varz', '-jsz=all', ...nodes.map((n) => `${n.name},http://${n.name}:${n.monitorPort}`)],
    restart: 'unless-stopped',
    depends_on: Object.fromEntries(nodes.map((n) => [n.name, { condition: 'service_started' as const }])),
    // The official image is FROM scratch: no shell, no wget, so any healthcheck command fails
    // and the container would show "unhealthy" forever. Its health is Prometheus' up{job="nats"}.
    healthcheck: { disable: true },
    mem_limit: mebibytes(MONITORING_MEMORY_MB.natsExporter),
    logging: LOGGING,
    notes: {
      service: "JetStream stream and consumer metrics of this host's NATS nodes (queue depth, redeliveries, DLQ).",
      healthcheck: 'A scratch image: nothing to run a check with; Prometheus scrapes it (up{job="nats"}).',
    },
  };
}

export function grafanaService(): ComposeService {
  return {
    image: MONITORING_IMAGES.grafana('server-a'),
    restart: 'unless-stopped',
    environment: {
      GF_SECURITY_ADMIN_USER: 'admin',
      GF_SECURITY_ADMIN_PASSWORD: ref('GRAFANA_ADMIN_PASSWORD', 'server-a'),
      GF_USERS_ALLOW_SIGN_UP: 'false',
      GF_ANALYTICS_REPORTING_ENABLED: 'false',
      GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
    },
    ports: [`${ref('PRIVATE_IP', 'server-a')}:3000:3000`],
    volumes: [
      './grafana/provisioning:/etc/grafana/provisioning:ro',
      './grafana/dashboards:/etc/grafana/dashboards:ro',
      'grafana-data:/var/lib/grafana',
    ],
    depends_on: { prometheus: { condition: 'service_healthy' } },
    healthcheck: {
      test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:3000/api/health'],
      interval: '30s',
      timeout: '5s',
      retries: 3,
      start_period: '30s',
    },
    mem_limit: mebibytes(MONITORING_MEMORY_MB.grafana),
    logging: LOGGING,
    notes: {
      service: 'Dashboards (provisioned: datasource and the "VOC pipeline" dashboard).',
      ports: 'Private address only; reach it over VPN or `ssh -L 3000:$PRIVATE_IP:3000 server-a`.',
    },
  };
}

export function grafanaDatasource(): YamlMap {
  return {
    apiVersion: 1,
    datasources: [
      { name: 'Prometheus', uid: 'prometheus', type: 'prometheus', access: 'proxy', url: 'http://prometheus:9090', isDefault: true, editable: false },
    ],
  };
}

export function grafanaDashboardProvider(): YamlMap {
  return {
    apiVersion: 1,
    providers: [
      { name: 'voc', folder: 'VOC', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: '/etc/grafana/dashboards' } },
    ],
  };
}
