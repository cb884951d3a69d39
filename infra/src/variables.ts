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
  | 'pg-size';

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

const ALL = (d?: string) => ({ 'server-a': d === undefined ? {} : { default: d }, 'server-b': d === undefined ? {} : { default: d }, worker: d === undefined ? {} : { default: d } });

/** Where each third-party image runs (the roles whose compose file names it). */
const IMAGE_ROLES: Record<keyof typeof OFFICIAL_IMAGES, DeployRole[]> = {
  node: ['server-a'],
  postgres: ['server-a'],
  redis: ['server-a'],
  nats: ['server-a', 'server-b'],
  prometheus: ['server-a', 'server-b', 'worker'],
  grafana: ['server-a'],
  natsExporter: ['server-a', 'server-b'],
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
    description: "This host's private address: the internal ports it runs (PostgreSQL, Redis, NATS, Prometheus, Grafana) listen on it only; only the gateway is public.",
    format: 'ipv4',
    secret: false,
    roles: { 'server-a': {}, 'server-b': { sample: '10.0.0.11' } },
    sample: '10.0.0.10',
  },
  {
    name: 'SERVER_A_IP',
    description: "Server A's private address (PostgreSQL, Redis, two NATS nodes, Prometheus).",
    format: 'ipv4',
    secret: false,
    roles: { 'server-b': {}, worker: {} },
    sample: '10.0.0.10',
  },
  {
    name: 'SERVER_B_IP',
    description: "Server B's private address (the third NATS node).",
    format: 'ipv4',
    secret: false,
    roles: { 'server-a': {}, worker: {} },
    sample: '10.0.0.11',
  },
  {
    name: 'NODE_NAME',
    description: 'Names this host in logs and metrics; every worker host needs its own (server-c, server-d, …).',
    format: 'name',
    secret: false,
    roles: { 'server-a': { default: 'server-a' }, 'server-b': { default: 'server-b' }, worker: {} },
    sample: 'server-c',
  },
  {
    name: 'VOC_IMAGE',
    description: 'The application image (built from the repository Dockerfile), e.g. registry.example.com/voc-pipeline:1.4.0.',
    format: 'image',
    secret: false,
    roles: ALL('voc-pipeline:latest'),
    sample: 'voc-pipeline:latest',
  },
  ...imageVariables(),
  {
    name: 'POSTGRES_USER',
    description: 'PostgreSQL role of the services.',
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
    roles: ALL(),
    sample: 'sample-postgres-password-0123456789',
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
    description: 'Replicas of every JetStream stream: 3 on the three-node cluster (survives the loss of one node). Same on every host.',
    format: 'positive-int',
    secret: false,
    roles: ALL('3'),
    sample: '3',
  },
  {
    name: 'GATEWAY_API_KEYS',
    description: "The gateway's bearer keys, comma-separated (several allow rotation); e.g. `openssl rand -hex 24` each.",
    format: 'api-keys',
    secret: true,
    roles: { 'server-a': {} },
    sample: 'sample-gateway-key-0123456789abcdef',
  },
  {
    name: 'GATEWAY_PUBLIC_PORT',
    description: 'The port the gateway is published on, on every address of server A (put TLS in front of it).',
    format: 'port',
    secret: false,
    roles: { 'server-a': { default: '8080' } },
    sample: '8080',
  },
  {
    name: 'LLM_BASE_URL',
    description: 'OpenAI-compatible endpoint (http://llm-sim:8090/v1 with `--profile sim` on server A).',
    format: 'http-url',
    secret: false,
    roles: ALL('https://dashscope.aliyuncs.com/compatible-mode/v1'),
    sample: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
  },
  {
    name: 'LLM_API_KEY',
    description: 'The LLM provider key (with the simulator: any value; llm-sim then requires it).',
    format: 'secret',
    secret: true,
    roles: ALL(),
    sample: 'sample-llm-key-0123456789',
  },
  {
    name: 'LLM_MODEL',
    description: 'The model every LLM service calls; the limiter key.',
    format: 'model',
    secret: false,
    roles: ALL('qwen-plus-latest'),
    sample: 'qwen-plus-latest',
  },
  {
    name: 'MAX_API_RPS',
    description: "The fleet-wide limit of LLM_MODEL (seed 000: 200 = 80% of qwen-plus-latest's 250 RPS; 8 for qwen3-max). Same on every host.",
    format: 'positive-number',
    secret: false,
    roles: ALL('200'),
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
    roles: ALL(''),
    sample: '',
  },
  {
    name: 'LOG_LEVEL',
    description: 'trace, debug, info, warn, error, fatal or silent.',
    format: 'log-level',
    secret: false,
    roles: ALL('info'),
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
  {
    name: 'PG_SHARED_BUFFERS',
    description: "PostgreSQL shared_buffers: 25% of the container's 5 GB (seed 001: 4GB of the whole 16 GB host).",
    format: 'pg-size',
    secret: false,
    roles: { 'server-a': { default: '1280MB' } },
    sample: '1280MB',
  },
  {
    name: 'PG_EFFECTIVE_CACHE_SIZE',
    description: 'PostgreSQL effective_cache_size: what the planner may assume is cached (seed 001: 8GB).',
    format: 'pg-size',
    secret: false,
    roles: { 'server-a': { default: '3584MB' } },
    sample: '3584MB',
  },
  {
    name: 'PG_WORK_MEM',
    description: 'PostgreSQL work_mem, per sort or hash of each connection (seed 001: 64MB).',
    format: 'pg-size',
    secret: false,
    roles: { 'server-a': { default: '32MB' } },
    sample: '32MB',
  },
  {
    name: 'PG_MAX_CONNECTIONS',
    description: 'PostgreSQL max_connections (seed 001: 500).',
    format: 'positive-int',
    secret: false,
    roles: { 'server-a': { default: '200' } },
    sample: '200',
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
