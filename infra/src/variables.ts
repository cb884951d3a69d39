/**
 * The host-level environment of the deployment: the variables an operator
 * puts in infra/<role>/.env, per host role. Machine-readable on purpose: the
 * compose files reference them through `ref()`, the .env.example files are
 * written from them, the doctor checks a host against them, and a
 * process-based test harness can read them instead of parsing compose files.
 *
 * Secrets have no default anywhere: compose refuses to start (`${VAR:?…}`)
 * when one is unset or empty.
 */
import type { DeployRole } from '@voc/config';
import { OFFICIAL_IMAGES } from './images';

export type VariableFormat =
  | 'ipv4'
  | 'secret'
  | 'api-keys'
  | 'http-url'
  | 'positive-number'
  | 'positive-int'
  | 'port'
  | 'name'
  | 'model'
  | 'model-limits'
  | 'llm-prices'
  | 'non-negative-int'
  | 'log-level'
  | 'image'
  | 'path';

export interface HostVariable {
  name: string;
  description: string;
  format: VariableFormat;
  /** A secret: never a default, never printed (the doctor shows only its length). */
  secret: boolean;
  /**
   * The roles whose .env has it. `default` present: compose falls back to it
   * (`${VAR:-default}`); absent: it is required (`${VAR:?…}`). `sample`
   * replaces the variable's sample on that role.
   */
  roles: Partial<Record<DeployRole, { default?: string; sample?: string }>>;
  /** A value to show in docs and to use in tests; never a real secret. */
  sample: string;
}

/** The roles given, each with `d` as its default (none: required). */
const ON = (roles: readonly DeployRole[], d?: string) => Object.fromEntries(roles.map((r) => [r, d === undefined ? {} : { default: d }]));
const ALL = (d?: string) => ON(['server-a', 'server-b', 'witness', 'worker'], d);
/** The hosts that run the application image (not the witness). */
const APP_HOSTS = (d?: string) => ON(['server-a', 'server-b', 'worker'], d);
/** The two servers, each able to carry the other's data and API. */
const SERVERS = (d?: string) => ON(['server-a', 'server-b'], d);

/** Where each third-party image runs (the roles whose compose file names it). */
const IMAGE_ROLES: Record<keyof typeof OFFICIAL_IMAGES, DeployRole[]> = {
  node: ['server-a'],
  // Patroni's image is built on it (A, B); the witness's backup jobs run its pg_receivewal and pg_basebackup.
  postgres: ['server-a', 'server-b', 'witness'],
  redis: ['server-a', 'server-b', 'witness'],
  nats: ['server-a', 'server-b', 'witness'],
  prometheus: ['server-a', 'server-b', 'witness', 'worker'],
  grafana: ['server-a'],
  natsExporter: ['server-a', 'server-b', 'witness'],
  etcd: ['server-a', 'server-b', 'witness'],
  haproxy: ['server-a', 'server-b', 'worker'],
  debian: ['server-a', 'server-b'],
};

function imageVariables(): HostVariable[] {
  return Object.entries(OFFICIAL_IMAGES).map(([key, o]) => ({
    name: o.variable,
    description: `Image of ${o.what}: the official one by default; set it to a mirror or a local build.`,
    format: 'image' as const,
    secret: false,
    roles: Object.fromEntries(IMAGE_ROLES[key as keyof typeof OFFICIAL_IMAGES].map((r) => [r, { default: o.image }])),
    sample: o.image,
  }));
}

export const HOST_VARIABLES: readonly HostVariable[] = [
  {
    name: 'PRIVATE_IP',
    description:
      "This host's private address: the internal ports it runs (PostgreSQL, Patroni, etcd, Redis, Sentinel, NATS, the gateway, Prometheus, Grafana) listen on it only; only the load balancer's uploads port is public.",
    format: 'ipv4',
    secret: false,
    roles: { 'server-a': {}, 'server-b': { sample: '10.0.0.11' }, witness: { sample: '10.0.0.12' } },
    sample: '10.0.0.10',
  },
  {
    name: 'SERVER_A_IP',
    description: "Server A's private address (pg-a, etcd-a, redis-a, sentinel-a, nats-a1, a gateway, Prometheus).",
    format: 'ipv4',
    secret: false,
    roles: { 'server-b': {}, witness: {}, worker: {} },
    sample: '10.0.0.10',
  },
  {
    name: 'SERVER_B_IP',
    description: "Server B's private address (pg-b, etcd-b, redis-b, sentinel-b, nats-b1, a gateway).",
    format: 'ipv4',
    secret: false,
    roles: { 'server-a': {}, witness: {}, worker: {} },
    sample: '10.0.0.11',
  },
  {
    name: 'WITNESS_IP',
    description: "The witness's private address (etcd-w, sentinel-w, nats-w1: the third vote of every quorum; the backups).",
    format: 'ipv4',
    secret: false,
    roles: { 'server-a': {}, 'server-b': {}, worker: {} },
    sample: '10.0.0.12',
  },
  {
    name: 'NODE_NAME',
    description: 'Names this host in logs and metrics; every worker host needs its own (server-c, server-d, …).',
    format: 'name',
    secret: false,
    roles: { 'server-a': { default: 'server-a' }, 'server-b': { default: 'server-b' }, witness: { default: 'witness' }, worker: {} },
    sample: 'server-c',
  },
  {
    name: 'VOC_IMAGE',
    description: 'The application image (built from the repository Dockerfile), e.g. registry.example.com/voc-pipeline:1.4.0.',
    format: 'image',
    secret: false,
    roles: APP_HOSTS('voc-pipeline:latest'),
    sample: 'voc-pipeline:latest',
  },
  {
    name: 'PATRONI_IMAGE',
    description: "PostgreSQL with Patroni, built from infra/docker/patroni.Dockerfile on POSTGRES_IMAGE (Debian's patroni package).",
    format: 'image',
    secret: false,
    roles: SERVERS('voc-patroni:15'),
    sample: 'voc-patroni:15',
  },
  {
    name: 'KEEPALIVED_IMAGE',
    description: "keepalived (the floating address), built from infra/docker/keepalived.Dockerfile on DEBIAN_IMAGE (Debian's package).",
    format: 'image',
    secret: false,
    roles: SERVERS('voc-keepalived:2'),
    sample: 'voc-keepalived:2',
  },
  ...imageVariables(),
  {
    name: 'POSTGRES_USER',
    description: 'PostgreSQL role of the services (the superuser of the cluster Patroni creates).',
    format: 'name',
    secret: false,
    roles: ALL('voc'),
    sample: 'voc',
  },
  {
    name: 'POSTGRES_DB',
    description: 'PostgreSQL database.',
    format: 'name',
    secret: false,
    roles: ALL('voc'),
    sample: 'voc',
  },
  {
    name: 'POSTGRES_PASSWORD',
    description: 'PostgreSQL password (letters, digits, . _ ~ - only: it is part of DATABASE_URL). Same on every host.',
    format: 'secret',
    secret: true,
    roles: APP_HOSTS(),
    sample: 'sample-postgres-password-0123456789',
  },
  {
    name: 'PG_REPLICATION_PASSWORD',
    description: "Password of the `replicator` role: the replica's stream, pg_rewind's source, the witness's WAL archive and base backups. Same on A, B and the witness.",
    format: 'secret',
    secret: true,
    roles: ON(['server-a', 'server-b', 'witness']),
    sample: 'sample-replication-password-0123456789',
  },
  {
    name: 'PATRONI_API_PASSWORD',
    description: "Password of Patroni's REST API for changes (switchover, restart; user `patroni`); health checks need none. Same on A and B.",
    format: 'secret',
    secret: true,
    roles: SERVERS(),
    sample: 'sample-patroni-password-0123456789',
  },
  {
    name: 'REDIS_PASSWORD',
    description: 'Redis password (URL-safe characters: it is part of REDIS_URL). Same on every host.',
    format: 'secret',
    secret: true,
    roles: ALL(),
    sample: 'sample-redis-password-0123456789',
  },
  {
    name: 'NATS_USER',
    description: 'NATS user of the services and of the cluster routes. Same on every host.',
    format: 'name',
    secret: false,
    roles: ALL(),
    sample: 'voc',
  },
  {
    name: 'NATS_PASSWORD',
    description: 'NATS password (URL-safe characters: it is part of the route URLs). Same on every host.',
    format: 'secret',
    secret: true,
    roles: ALL(),
    sample: 'sample-nats-password-0123456789',
  },
  {
    name: 'NATS_REPLICAS',
    description: 'Replicas of every JetStream stream: 3 on the three-node cluster (survives the loss of one node, or of one host). Same on every host.',
    format: 'positive-int',
    secret: false,
    roles: APP_HOSTS('3'),
    sample: '3',
  },
  {
    name: 'GATEWAY_API_KEYS',
    description: "The gateways' bearer keys, comma-separated (several allow rotation); e.g. `openssl rand -hex 24` each. Same on A and B.",
    format: 'api-keys',
    secret: true,
    roles: SERVERS(),
    sample: 'sample-gateway-key-0123456789abcdef',
  },
  {
    name: 'GATEWAY_PUBLIC_PORT',
    description: "The uploads port: HAProxy publishes it on every address of A and B, the floating address included, and forwards to whichever gateways can accept uploads (put TLS in front of it).",
    format: 'port',
    secret: false,
    roles: SERVERS('80'),
    sample: '80',
  },
  {
    name: 'VIRTUAL_IP',
    description: "The floating address (keepalived, VRRP between A and B) where clients send uploads: a free address of the private network. Same on A and B.",
    format: 'ipv4',
    secret: false,
    roles: SERVERS(),
    sample: '10.0.0.100',
  },
  {
    name: 'VRRP_INTERFACE',
    description: 'The network interface of PRIVATE_IP, where keepalived puts the floating address (ip -br addr).',
    format: 'name',
    secret: false,
    roles: SERVERS('eth0'),
    sample: 'eth0',
  },
  {
    name: 'VRRP_ROUTER_ID',
    description: 'VRRP virtual router id (1-255), the same on A and B and unique on the private network.',
    format: 'positive-int',
    secret: false,
    roles: SERVERS('51'),
    sample: '51',
  },
  {
    name: 'VRRP_PASSWORD',
    description: "keepalived's VRRP password (at most 8 characters are used). Same on A and B.",
    format: 'secret',
    secret: true,
    roles: SERVERS(),
    sample: 'sample-vrrp-password-0123456789',
  },
  {
    name: 'PG_BACKUP_DIR',
    description:
      "The backup store: on the witness a directory of its own disk, exported over NFS; on A and B the mount of that export. WAL archive and base backups (see the runbook).",
    format: 'path',
    secret: false,
    roles: ON(['server-a', 'server-b', 'witness'], '/var/backups/voc/pg'),
    sample: '/var/backups/voc/pg',
  },
  {
    name: 'BASE_BACKUP_INTERVAL_H',
    description: 'Hours between two base backups of PostgreSQL (pg_basebackup; WAL is archived continuously in between).',
    format: 'positive-int',
    secret: false,
    roles: { witness: { default: '24' } },
    sample: '24',
  },
  {
    name: 'BASE_BACKUP_KEEP',
    description: 'Base backups kept (with the WAL they need); older ones and their WAL are deleted.',
    format: 'positive-int',
    secret: false,
    roles: { witness: { default: '7' } },
    sample: '7',
  },
  {
    name: 'LLM_BASE_URL',
    description: 'OpenAI-compatible endpoint (http://llm-sim:8090/v1 with `--profile sim` on server A).',
    format: 'http-url',
    secret: false,
    roles: APP_HOSTS('https://dashscope.aliyuncs.com/compatible-mode/v1'),
    sample: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
  },
  {
    name: 'LLM_API_KEY',
    description: 'The LLM provider key (with the simulator: any value; llm-sim then requires it).',
    format: 'secret',
    secret: true,
    roles: APP_HOSTS(),
    sample: 'sample-llm-key-0123456789',
  },
  {
    name: 'LLM_MODEL',
    description: 'The model every LLM service calls; the limiter key.',
    format: 'model',
    secret: false,
    roles: APP_HOSTS('qwen-plus-latest'),
    sample: 'qwen-plus-latest',
  },
  {
    name: 'MAX_API_RPS',
    description: "The fleet-wide limit of LLM_MODEL (seed 000: 200 = 80% of qwen-plus-latest's 250 RPS; 8 for qwen3-max). Same on every host.",
    format: 'positive-number',
    secret: false,
    roles: APP_HOSTS('200'),
    sample: '200',
  },
  {
    name: 'MAX_API_TPM',
    description: "The fleet-wide token limit of LLM_MODEL per minute, counted as prompt + max_tokens at send time (960000 = 80% of qwen-plus-latest's 1,200,000 TPM; 0: requests only). Same on every host.",
    format: 'non-negative-int',
    secret: false,
    roles: ALL('960000'),
    sample: '960000',
  },
  {
    name: 'LLM_PRICES',
    description: 'Prices per million tokens for the usage report, e.g. qwen-plus-latest=0.8:2:0.32 (prompt:completion[:cached], CNY); empty: cost 0.',
    format: 'llm-prices',
    secret: false,
    roles: ALL(''),
    sample: '',
  },
  {
    name: 'LLM_HALT_PROBE_MS',
    description: 'While the provider refuses the account (403 arrears, quota), one probe call fleet-wide per this many ms; LLM work resumes when it succeeds.',
    format: 'positive-int',
    secret: false,
    roles: ALL('60000'),
    sample: '60000',
  },
  {
    name: 'LLM_MODEL_LIMITS',
    description: 'More limiter keys, e.g. qwen3-max=8,other=20 (empty: the built-in ones).',
    format: 'model-limits',
    secret: false,
    roles: APP_HOSTS(''),
    sample: '',
  },
  {
    name: 'LOG_LEVEL',
    description: 'trace, debug, info, warn, error, fatal or silent.',
    format: 'log-level',
    secret: false,
    roles: APP_HOSTS('info'),
    sample: 'info',
  },
  {
    name: 'GRAFANA_ADMIN_PASSWORD',
    description: "Password of Grafana's admin user.",
    format: 'secret',
    secret: true,
    roles: { 'server-a': {} },
    sample: 'sample-grafana-password-0123456789',
  },
];

export function hostVariable(name: string): HostVariable {
  const v = HOST_VARIABLES.find((x) => x.name === name);
  if (!v) throw new Error(`infra: no host variable ${name}`);
  return v;
}

/** The variables a role's .env has, in HOST_VARIABLES order. */
export function variablesOf(role: DeployRole): HostVariable[] {
  return HOST_VARIABLES.filter((v) => v.roles[role] !== undefined);
}

/**
 * How a compose file refers to `name` on `role`: `${NAME:-default}` or
 * `${NAME:?message}`. Referring to a variable the role does not have is a
 * bug in the generator, caught here.
 */
export function ref(name: string, role: DeployRole): string {
  const v = hostVariable(name);
  const use = v.roles[role];
  if (!use) throw new Error(`infra: ${name} is not a variable of ${role}`);
  if (use.default !== undefined) {
    if (v.secret) throw new Error(`infra: secret ${name} must not have a default`);
    return `\${${name}:-${use.default}}`;
  }
  return `\${${name}:?${name} is required: see infra/${role}/.env.example}`;
}

/** The sample value of `v` on `role`. */
export function sampleValue(v: HostVariable, role: DeployRole): string {
  return v.roles[role]?.sample ?? v.sample;
}

/** Sample values of a role's variables (defaults left out, as in a fresh .env). */
export function sampleEnv(role: DeployRole): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of variablesOf(role)) if (v.roles[role]!.default === undefined) out[v.name] = sampleValue(v, role);
  return out;
}
