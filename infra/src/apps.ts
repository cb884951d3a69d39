/**
 * The application containers of a host role, from libs/config's SERVICES:
 * which services run there, their settings (serviceEnvironment), their memory
 * limit, and the connection settings and secrets every host shares.
 */
import {
  cpuClassOf,
  NODE_RUNTIME_ENV,
  nodeFlagsOf,
  placement,
  serviceDefinition,
  serviceEnvironment,
  servicesOn,
  type DeployRole,
  type ServiceName,
} from '@voc/config';
import { LOGGING, mebibytes, type ComposeService, type DependencyCondition } from './compose-types';
import { redisNodeOf } from './redis';
import { databaseUrl, extraHosts, HAPROXY, NATS_URL, natsNodesOf, redisUrl } from './topology';
import { ref } from './variables';

/** One image for every service; compose picks the program with `command`. */
export const APP_IMAGE_REF = (role: DeployRole) => ref('VOC_IMAGE', role);

/** Matches the services' drain time: SHUTDOWN_TIMEOUT_MS (25 s) + the 5 s hard deadline of runService. */
export const APP_STOP_GRACE = '35s';

/** V8 gets 75% of the container limit, so it collects garbage before the kernel OOM-kills it. */
export const heapLimitMb = (memoryMb: number): number => Math.floor(memoryMb * 0.75);

export const APP_HEALTHCHECK = {
  // /readyz on the port in GATEWAY_PORT / HEALTH_PORT / LLM_SIM_PORT, in bash (no curl in the image;
  // a node process per check was too slow to start at the batch class's CPU share: see the script).
  test: ['CMD', 'bash', 'infra/docker/healthcheck.sh'],
  interval: '15s',
  timeout: '10s',
  retries: 3,
  start_period: '40s',
};

/** The connection settings of every backend service (same on every host, see topology.ts). */
export function connectionEnvironment(role: DeployRole): Record<string, string> {
  return {
    NATS_URL,
    NATS_USER: ref('NATS_USER', role),
    NATS_PASSWORD: ref('NATS_PASSWORD', role),
    NATS_REPLICAS: ref('NATS_REPLICAS', role),
    REDIS_URL: redisUrl(role),
    DATABASE_URL: databaseUrl(role),
  };
}

/** LLM_MODEL, MAX_API_RPS, MAX_API_TPM, LLM_MODEL_LIMITS: the limiter's keys and limits. */
export function limiterEnvironment(role: DeployRole): Record<string, string> {
  return {
    LLM_MODEL: ref('LLM_MODEL', role),
    MAX_API_RPS: ref('MAX_API_RPS', role),
    MAX_API_TPM: ref('MAX_API_TPM', role),
    LLM_MODEL_LIMITS: ref('LLM_MODEL_LIMITS', role),
  };
}

/** The whole environment of `name` on `role`, with `${…}` references to the host's .env. */
export function appEnvironment(name: ServiceName, role: DeployRole): Record<string, string> {
  const def = serviceDefinition(name);
  const place = placement(name, role);
  if (!place) throw new Error(`infra: ${name} does not run on ${role}`);
  const env: Record<string, string> = {
    NODE_NAME: ref('NODE_NAME', role),
    LOG_LEVEL: ref('LOG_LEVEL', role),
    ...serviceEnvironment(name, role),
    NODE_OPTIONS: `--max-old-space-size=${heapLimitMb(place.memoryMb)}`,
    // The allocator setting of every service, as npm start runs it (libs/config node-runtime.ts).
    ...NODE_RUNTIME_ENV,
  };
  if (def.backend) Object.assign(env, connectionEnvironment(role));
  if (def.llm) {
    Object.assign(
      env,
      {
        LLM_BASE_URL: ref('LLM_BASE_URL', role),
        LLM_API_KEY: ref('LLM_API_KEY', role),
        LLM_PRICES: ref('LLM_PRICES', role),
        LLM_HALT_PROBE_MS: ref('LLM_HALT_PROBE_MS', role),
      },
      limiterEnvironment(role),
    );
  } else if (def.limiterSettings) {
    Object.assign(env, limiterEnvironment(role));
  }
  if (name === 'gateway') env.GATEWAY_API_KEYS = ref('GATEWAY_API_KEYS', role);
  // The simulator checks the same key the services send, so a sim fleet is configured like a real one.
  if (name === 'llm-sim') env.LLM_SIM_API_KEY = ref('LLM_API_KEY', role);
  return env;
}

/** What a host's services wait for: the schema (A runs the migration), and the servers of their own host. */
function dependencies(name: ServiceName, role: DeployRole): Record<string, { condition: DependencyCondition }> | undefined {
  if (!serviceDefinition(name).backend) return undefined;
  const deps: Record<string, { condition: DependencyCondition }> = {};
  if (role === 'server-a') deps.migrate = { condition: 'service_completed_successfully' };
  // Healthy: a PostgreSQL primary is behind it.
  deps[HAPROXY.service] = { condition: 'service_healthy' };
  const redis = redisNodeOf(role);
  if (redis) deps[redis.name] = { condition: 'service_healthy' };
  // Healthy means JetStream has a meta leader: two of the three nodes are up.
  for (const n of natsNodesOf(role)) deps[n.name] = { condition: 'service_healthy' };
  return deps;
}

export function appService(name: ServiceName, role: DeployRole): ComposeService {
  const def = serviceDefinition(name);
  const place = placement(name, role)!;
  const deps = dependencies(name, role);
  const svc: ComposeService = {
    image: APP_IMAGE_REF(role),
    ...(place.profile ? { profiles: [place.profile] } : {}),
    // Its V8 flags (libs/config node-runtime.ts) go on the command line: NODE_OPTIONS refuses some of them.
    command: ['node', ...nodeFlagsOf(name), `apps/${name}/dist/main.js`],
    init: true,
    restart: 'unless-stopped',
    environment: appEnvironment(name, role),
    ...(name === 'gateway'
      ? { ports: [`${ref('PRIVATE_IP', role)}:${def.port}:${def.port}`] }
      : name === 'llm-sim'
        ? { ports: [`${ref('PRIVATE_IP', role)}:${def.port}:${def.port}`] }
        : {}),
    ...(def.backend ? { extra_hosts: extraHosts(role) } : {}),
    ...(deps ? { depends_on: deps } : {}),
    healthcheck: APP_HEALTHCHECK,
    mem_limit: mebibytes(place.memoryMb),
    cpu_shares: cpuClassOf(name).cpuShares,
    stop_grace_period: APP_STOP_GRACE,
    logging: LOGGING,
    notes: { service: `seed 000: ${place.seedWorker}${place.profile ? ` (only with --profile ${place.profile})` : ''}` },
  };
  svc.notes!.cpu_shares =
    cpuClassOf(name).cpuClass === 'batch'
      ? 'CPU class batch: yields the cores to the upload path (gateway, NATS, Redis) when they are contended.'
      : 'CPU class interactive: the upload path.';
  if (name === 'gateway') svc.notes!.ports = "Private address only: both hosts' HAProxy send uploads here (the public port is HAProxy's).";
  return svc;
}

export function appServices(role: DeployRole): Record<string, ComposeService> {
  const out: Record<string, ComposeService> = {};
  for (const name of servicesOn(role)) out[name] = appService(name, role);
  return out;
}
