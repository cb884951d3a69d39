/**
 * The one source of truth for each service's environment: its port, the
 * settings of seed 000 per host role, which hosts run it and within how much
 * memory. `npm start` (scripts/start.ts) and the compose files of infra/
 * (generated from this file by infra/generate.ts) both read these
 * definitions, so the two cannot drift apart.
 */

import { CPU_CLASSES, type CpuClass, type CpuClassSettings } from './cpu-class';

/**
 * 'single' is `npm start` (everything on one machine); the others are the
 * hosts of the deployment: seed 000's server-a (data, API, ingestion,
 * reports, VIP learning, translation) and server-b (insight, theme, second
 * translation, the learning backup), each also able to carry the other's
 * data and API when it dies (seed 003: a database and Redis replica, a
 * gateway behind the floating address); the 'witness', a small third
 * machine that runs no service, only the third vote of every quorum (NATS,
 * etcd, Redis Sentinel) and the backups; and 'worker', the extra hosts C, D,
 * … that only run insight and theme.
 */
export type HostRole = 'single' | 'server-a' | 'server-b' | 'witness' | 'worker';

/** The host roles of the multi-host deployment (infra/). */
export type DeployRole = Exclude<HostRole, 'single'>;

export const DEPLOY_ROLES: readonly DeployRole[] = ['server-a', 'server-b', 'witness', 'worker'];

/** How a service runs on one deployed host role. */
export interface Placement {
  /** The seed 000 worker this process plays there (worker-trans, trans-2, backup, …). */
  seedWorker: string;
  /** Container memory limit in MiB (seed 000's memory budget of that host). */
  memoryMb: number;
  /** Started only when this compose profile is asked for (e.g. llm-sim: 'sim'). */
  profile?: string;
}

export interface ServiceDefinition {
  /** The variable holding the port its HTTP server (health, metrics, API) listens on. */
  portVar: 'HEALTH_PORT' | 'GATEWAY_PORT' | 'LLM_SIM_PORT';
  port: number;
  /** Where Prometheus scrapes /metrics when it is not served on `port` (the gateway keeps it off its public port). */
  metricsPort?: number;
  /** Does the service call the LLM (and so need the limiter and LLM settings)? */
  llm: boolean;
  /** Default settings; host roles override some of them. */
  env: Record<string, string>;
  hosts?: Partial<Record<HostRole, Record<string, string>>>;
  /** Which deployed host roles run the service; a role not listed does not run it. */
  deploy?: Partial<Record<DeployRole, Placement>>;
  /** Reads the limiter settings (LLM_MODEL, MAX_API_RPS, LLM_MODEL_LIMITS) without calling the LLM. */
  limiterSettings?: boolean;
  /** Needs NATS, Redis and PostgreSQL (every pipeline service; not the simulator). */
  backend?: boolean;
  /** Who gets a core first on a busy machine (cpu-class.ts): the upload path, or batch work that yields. */
  cpuClass: CpuClass;
}

export const SERVICES = {
  gateway: {
    portVar: 'GATEWAY_PORT',
    port: 8080,
    metricsPort: 9100,
    llm: false,
    // The upload path: answers once NATS stored the upload (after one Redis call).
    cpuClass: 'interactive',
    backend: true,
    // GET /v1/queues shows the limiter's limit and granted rate.
    limiterSettings: true,
    env: { DB_POOL_SIZE: '10' },
    // Seed 000 gave "Backend + Frontend + Nginx" 1.5 GB; the gateway alone needs less.
    // Seed 003: the web app on both nodes, behind the load balancer and the floating address.
    deploy: {
      'server-a': { seedWorker: 'backend (FastAPI)', memoryMb: 1024 },
      'server-b': { seedWorker: 'backend (FastAPI, seed 003 node 2)', memoryMb: 1024 },
    },
  },
  'ingest-svc': {
    portVar: 'HEALTH_PORT',
    port: 9101,
    llm: false,
    cpuClass: 'batch',
    backend: true,
    env: { CONCURRENCY: '4', DB_POOL_SIZE: '8' },
    // On B too, so uploads accepted while A is down are stored (and the sweeper runs) without A.
    deploy: {
      'server-a': { seedWorker: 'worker-base', memoryMb: 1024 },
      'server-b': { seedWorker: 'worker-base (seed 003 node 2)', memoryMb: 1024 },
    },
  },
  'translate-svc': {
    portVar: 'HEALTH_PORT',
    port: 9102,
    llm: true,
    cpuClass: 'batch',
    backend: true,
    // Caps, not the throttle: the process's LLM call slots size themselves below them (issue 12).
    env: { CONCURRENCY: '500', DB_POOL_SIZE: '10' },
    hosts: { 'server-b': { CONCURRENCY: '300' } },
    deploy: {
      'server-a': { seedWorker: 'worker-trans', memoryMb: 1536 },
      // 1 GB per service on B (seed 000 gave 1.5 GB of an 8 GB B): B now also holds the
      // PostgreSQL and Redis replicas and can carry A's services (seed 003: 16 GB per node).
      'server-b': { seedWorker: 'worker-trans-2', memoryMb: 1024 },
    },
  },
  'learning-svc': {
    portVar: 'HEALTH_PORT',
    port: 9103,
    llm: true,
    cpuClass: 'batch',
    backend: true,
    env: { CONCURRENCY: '30', DB_POOL_SIZE: '10' },
    hosts: { 'server-b': { CONCURRENCY: '20' } },
    deploy: {
      'server-a': { seedWorker: 'worker-vip', memoryMb: 1024 },
      // Seed 000's all-round "backup" worker: on B it keeps the VIP lane moving
      // when A's learning-svc is busy or down (insight/theme back it up too).
      'server-b': { seedWorker: 'worker-backup', memoryMb: 1024 },
    },
  },
  'insight-svc': {
    portVar: 'HEALTH_PORT',
    port: 9104,
    llm: true,
    cpuClass: 'batch',
    backend: true,
    env: { CONCURRENCY: '8', INSIGHT_PARALLEL_SIZE: '100', LEARNING_BACKUP: 'true', DB_POOL_SIZE: '8' },
    deploy: {
      'server-b': { seedWorker: 'worker-insight', memoryMb: 1024 },
      worker: { seedWorker: 'worker-insight', memoryMb: 1536 },
    },
  },
  'theme-svc': {
    portVar: 'HEALTH_PORT',
    port: 9105,
    llm: true,
    cpuClass: 'batch',
    backend: true,
    env: { CONCURRENCY: '8', THEME_PARALLEL_SIZE: '100', LEARNING_BACKUP: 'true', DB_POOL_SIZE: '8' },
    deploy: {
      'server-b': { seedWorker: 'worker-theme', memoryMb: 1024 },
      worker: { seedWorker: 'worker-theme', memoryMb: 1536 },
    },
  },
  'report-svc': {
    portVar: 'HEALTH_PORT',
    port: 9106,
    llm: false,
    cpuClass: 'batch',
    backend: true,
    env: { CONCURRENCY: '4', DB_POOL_SIZE: '5' },
    // Seed 000's worker-base ran ingestion and reports in one 1 GB process; here they are two.
    deploy: {
      'server-a': { seedWorker: 'worker-base', memoryMb: 512 },
      'server-b': { seedWorker: 'worker-base (seed 003 node 2)', memoryMb: 512 },
    },
  },
  'llm-sim': {
    portVar: 'LLM_SIM_PORT',
    port: 8090,
    llm: false,
    // Stands in for a remote provider: on one machine it must not take the upload path's CPU.
    cpuClass: 'batch',
    env: {},
    // Not for production: only with `--profile sim`, for a staging fleet without a provider.
    deploy: { 'server-a': { seedWorker: 'none (simulator)', memoryMb: 512, profile: 'sim' } },
  },
} as const satisfies Record<string, ServiceDefinition>;

export type ServiceName = keyof typeof SERVICES;

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** The environment a service gets on a host role, before connection settings and secrets. */
export function serviceEnvironment(name: ServiceName, role: HostRole = 'single'): Record<string, string> {
  const def: ServiceDefinition = SERVICES[name];
  return { [def.portVar]: String(def.port), ...def.env, ...(def.hosts?.[role] ?? {}) };
}

/** How `name` runs on `role`, or undefined when that host does not run it. */
export function placement(name: ServiceName, role: DeployRole): Placement | undefined {
  const def: ServiceDefinition = SERVICES[name];
  return def.deploy?.[role];
}

/** The services a deployed host role runs, in SERVICES order. */
export function servicesOn(role: DeployRole): ServiceName[] {
  return SERVICE_NAMES.filter((n) => placement(n, role) !== undefined);
}

/** The definition of `name`, typed as the general shape (optional fields readable). */
export function serviceDefinition(name: ServiceName): ServiceDefinition {
  return SERVICES[name];
}

/** The CPU class settings (niceness, container CPU weight) of `name`. */
export function cpuClassOf(name: ServiceName): CpuClassSettings & { cpuClass: CpuClass } {
  const cpuClass = serviceDefinition(name).cpuClass;
  return { cpuClass, ...CPU_CLASSES[cpuClass] };
}
