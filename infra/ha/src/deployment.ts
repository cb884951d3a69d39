/**
 * The deployment under test, read from the real files: infra/server-a,
 * infra/server-b and infra/witness (compose.yml, .env.example, the configs
 * and scripts they mount). Each host's `.env` is its .env.example with every
 * empty value filled with a test value and the test bed's addresses; every
 * compose service becomes a process of its host: the apps as Node
 * processes, the servers through their image's contract (imageContracts),
 * the one-shots run to completion. Host names resolve through each host's
 * hosts file, built from the compose services and `extra_hosts` as Docker
 * would resolve them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@voc/config';
import { HAPROXY, KEEPALIVED_PATHS, PATRONI_PATHS } from '@voc/infra';
import { simConfigFromEnv } from '@voc/llm-sim/config';
import {
  activeServices,
  appOf,
  commandOf,
  filledEnv,
  imageVariable,
  LLM_SIM_NICE,
  interpolate,
  parseCompose,
  rawEnvironment,
  SIM_PROFILE,
  TEST_BED_MAX_API_TPM,
  type ComposeFile,
  type ComposeService,
  type ImageContract,
  type OneShot,
  type PlannedService,
  type TestHost,
} from '@voc/two-hosts/harness';
import { HA_HOSTS, HA_VIRTUAL_IP, SERVER_HOSTS, type ServerHost } from './testbed';

/**
 * What each image does that the compose files rely on, keyed by the host
 * variable that names the image (the same contract infra/containers' stand-ins
 * reproduce): entrypoint rules, working directory, user, container-private paths.
 */
export const IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = {
  // Patroni's image: USER postgres; its socket directory is the container's own.
  PATRONI_IMAGE: { user: 'postgres', privatePaths: [PATRONI_PATHS.socketDir] },
  POSTGRES_IMAGE: { privatePaths: [PATRONI_PATHS.socketDir] },
  // WORKDIR /data (Redis and Sentinel keep their files in the working directory).
  REDIS_IMAGE: { workdir: '/data' },
  // A first argument starting with '-' is nats-server's.
  NATS_IMAGE: { entrypoint: (c) => (c[0]!.startsWith('-') ? ['nats-server', ...c] : c) },
  ETCD_IMAGE: {},
  // The official entrypoint runs `haproxy -W -db …` (master-worker, in the foreground).
  HAPROXY_IMAGE: { entrypoint: (c) => (c[0] === 'haproxy' ? ['haproxy', '-W', '-db', ...c.slice(1)] : c) },
  KEEPALIVED_IMAGE: { privatePaths: [KEEPALIVED_PATHS.run] },
};

/** Images the run does not start (monitoring), by their host variable. */
export const NOT_RUN_IMAGES = ['PROMETHEUS_IMAGE', 'GRAFANA_IMAGE', 'NATS_EXPORTER_IMAGE'];

export interface ServerService {
  name: string;
  svc: ComposeService;
  contract: ImageContract;
}

export interface HostDeployment {
  role: ServerHost;
  host: TestHost;
  composeDir: string;
  file: ComposeFile;
  /** The host's .env as the test fills it in. */
  vars: Record<string, string>;
  /** Servers, in the compose file's order. */
  servers: ServerService[];
  apps: PlannedService[];
  oneShots: OneShot[];
  /** Services of a profile the run starts itself (the restore drill). */
  onRequest: ServerService[];
  notRun: string[];
  /** What the host's names resolve to (its hosts file). */
  hostsFile: Record<string, string>;
}

export interface HaDeployment {
  sources: string[];
  hosts: Record<ServerHost, HostDeployment>;
  /** The LLM provider: server A's llm-sim (profile sim), run in the client namespace. */
  llmSim: PlannedService;
  /** Where the plug-ins upload: HAProxy's uploads port on the floating address. */
  gateway: { url: string; apiKey: string };
  postgres: { user: string; password: string; database: string };
  redisPassword: string;
  maxApiRps: number;
  accountLimit: number;
  deviations: string[];
}

/** Where the test bed's variables put things (the same on every host). */
export function testVariables(role: ServerHost, backupStore: string): Record<string, string> {
  return {
    PRIVATE_IP: HA_HOSTS[role].address,
    SERVER_A_IP: HA_HOSTS['server-a'].address,
    SERVER_B_IP: HA_HOSTS['server-b'].address,
    WITNESS_IP: HA_HOSTS.witness.address,
    VIRTUAL_IP: HA_VIRTUAL_IP,
    VRRP_INTERFACE: 'eth0',
    // The witness's export, mounted on A and B: one directory of this machine for all three.
    PG_BACKUP_DIR: backupStore,
    // The value .env.example documents for `--profile sim`.
    LLM_BASE_URL: 'http://llm-sim:8090/v1',
    // The simulated account limits requests only: see TEST_BED_MAX_API_TPM.
    MAX_API_TPM: TEST_BED_MAX_API_TPM,
  };
}

function readHost(root: string, role: ServerHost, backupStore: string): { file: ComposeFile; vars: Record<string, string>; dir: string; source: string } {
  const dir = path.join(root, 'infra', role);
  const source = path.join(dir, 'compose.yml');
  const vars = { ...filledEnv(readFileSync(path.join(dir, '.env.example'), 'utf8')), ...testVariables(role, backupStore) };
  return { file: parseCompose(readFileSync(source, 'utf8'), source), vars, dir, source };
}

function environment(svc: ComposeService, vars: Record<string, string>, where: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawEnvironment(svc))) env[k] = interpolate(v, vars, `${where} ${k}`);
  return env;
}

function plannedApp(name: string, svc: ComposeService, vars: Record<string, string>, where: string): PlannedService {
  const app = appOf(svc)!;
  const env = environment(svc, vars, where);
  const def = SERVICES[app];
  return { name, app, env, port: Number(env[def.portVar] ?? def.port) };
}

/** Names as Docker resolves them for the host's containers: its compose services, then `extra_hosts`. */
function hostNames(file: ComposeFile, vars: Record<string, string>, host: TestHost): Record<string, string> {
  const names: Record<string, string> = Object.fromEntries(Object.keys(file.services).map((n) => [n, host.address]));
  for (const [name, svc] of Object.entries(file.services)) {
    for (const entry of (svc.extra_hosts as string[] | undefined) ?? []) {
      const resolved = interpolate(entry, vars, `${host.role}/${name} extra_hosts`);
      const colon = resolved.indexOf(':');
      names[resolved.slice(0, colon)] = resolved.slice(colon + 1);
    }
  }
  // The LLM provider is outside the deployment (deviation: llm-sim runs on the client, not on A).
  names['llm-sim'] = HA_HOSTS.client.address;
  return names;
}

function planHost(root: string, role: ServerHost, backupStore: string): HostDeployment & { source: string } {
  const { file, vars, dir, source } = readHost(root, role, backupStore);
  const host = HA_HOSTS[role];
  const d: HostDeployment & { source: string } = {
    role,
    host,
    composeDir: dir,
    file,
    vars,
    servers: [],
    apps: [],
    oneShots: [],
    onRequest: [],
    notRun: [],
    hostsFile: hostNames(file, vars, host),
    source,
  };
  const active = new Set(activeServices(file, role === 'server-a' ? [SIM_PROFILE] : []).map(([n]) => n));
  for (const [name, svc] of Object.entries(file.services)) {
    const where = `${role}/${name}`;
    const image = imageVariable(svc);
    if (appOf(svc)) {
      // llm-sim is the provider: the run starts it in the client namespace (see DEVIATIONS).
      if (active.has(name) && svc.restart !== 'no' && appOf(svc) !== 'llm-sim') d.apps.push(plannedApp(name, svc, vars, where));
      continue;
    }
    if (image === 'VOC_IMAGE') {
      if (active.has(name) && svc.restart === 'no') d.oneShots.push({ name, host, command: commandOf(svc), env: environment(svc, vars, where) });
      continue;
    }
    if (image && NOT_RUN_IMAGES.includes(image)) {
      d.notRun.push(name);
      continue;
    }
    const contract = image ? IMAGE_CONTRACTS[image] : undefined;
    if (!contract) throw new Error(`${where}: no image contract for ${image ?? svc.image}: the harness cannot run it`);
    (active.has(name) ? d.servers : d.onRequest).push({ name, svc, contract });
  }
  return d;
}

/** What this run does differently from `docker compose up` on three machines (printed and recorded). */
export const DEVIATIONS: readonly string[] = [
  "processes, not containers: every compose service runs as a process of its host's network namespace with the compose environment; apps run `node --import tsx apps/<app>/src/main.ts`, servers run this machine's Debian packages (patroni, etcd, redis, nats-server, haproxy, keepalived, PostgreSQL 15) with the mounted configs and scripts, container paths mapped to the run's directories; mem_limit and healthchecks are not applied",
  'ports: each process listens on its container port (HAProxy takes uploads on :8000 of the floating address, not the published GATEWAY_PUBLIC_PORT)',
  "the backup store is one directory of this machine for A, B and the witness (production: the witness's directory, exported to A and B over NFS)",
  "the LLM provider (server A's llm-sim, profile sim) runs in the client namespace: a real provider is outside the deployment and does not die with A",
  'monitoring (prometheus, grafana, nats-exporter, prometheus-agent) is not run',
  'a host dies by having its bridge port taken down (no packet in or out, as a powered-off machine) and every process of its namespace SIGKILLed; it comes back with its data directories, without the floating address (a reboot forgets it)',
  "the three hosts share this machine's CPU: a returning host's apps (a dozen Node processes compiling TypeScript) run at nice 10 until it has caught up, so their start-up burst does not take the survivor's CPU (real hosts have their own); its services' catch-up time is therefore an upper bound",
  `MAX_API_TPM=${TEST_BED_MAX_API_TPM} instead of 960000: llm-sim limits requests only here, and the run measures host loss at the request limit (bench:tokens measures the token budget)`,
  `llm-sim runs at nice ${LLM_SIM_NICE}: it stands in for a provider that does not share the test bed's CPUs`,
];

export function loadDeployment(root: string, backupStore: string): HaDeployment {
  const planned = SERVER_HOSTS.map((r) => planHost(root, r, backupStore));
  const hosts = Object.fromEntries(planned.map((h) => [h.role, h])) as Record<ServerHost, HostDeployment & { source: string }>;
  const a = hosts['server-a'];
  const sim = a.file.services['llm-sim'];
  if (!sim) throw new Error('server-a: no llm-sim service (profile sim)');
  const llmSim = plannedApp('llm-sim', sim, a.vars, 'server-a/llm-sim');
  const gw = a.apps.find((s) => s.app === 'gateway');
  if (!gw) throw new Error('server-a runs no gateway');
  const llmApps = planned.flatMap((h) => h.apps).filter((s) => s.env.LLM_API_KEY);
  const keys = new Set(llmApps.map((s) => s.env.LLM_API_KEY));
  if (keys.size !== 1 || !keys.has(llmSim.env.LLM_SIM_API_KEY)) throw new Error("the services' LLM_API_KEY is not llm-sim's LLM_SIM_API_KEY");
  const rps = new Set(planned.flatMap((h) => h.apps).filter((s) => s.env.MAX_API_RPS).map((s) => s.env.MAX_API_RPS));
  if (rps.size !== 1) throw new Error(`MAX_API_RPS differs between services: ${[...rps].join(', ')}`);
  return {
    sources: planned.map((h) => path.relative(root, h.source)),
    hosts,
    llmSim,
    gateway: { url: `http://${HA_VIRTUAL_IP}:${HAPROXY.uploadsPort}`, apiKey: gw.env.GATEWAY_API_KEYS!.split(',')[0]! },
    postgres: { user: a.vars.POSTGRES_USER ?? 'voc', password: a.vars.POSTGRES_PASSWORD!, database: a.vars.POSTGRES_DB ?? 'voc' },
    redisPassword: a.vars.REDIS_PASSWORD!,
    maxApiRps: Number([...rps][0]),
    accountLimit: simConfigFromEnv(llmSim.env).rpsLimit,
    deviations: [...DEVIATIONS],
  };
}
