/**
 * The deployment under test, read from the real files: infra/server-a and
 * infra/server-b's compose.yml, .env.example and NATS configs. Each host's
 * `.env` is its .env.example with every empty value filled with a test
 * value and the addresses of the test bed; each service's environment is
 * its compose `environment:` interpolated with that, and the compose host
 * names (the host's own services, and `extra_hosts` for the other host's)
 * are pointed at the namespace addresses, as Docker's DNS and extra_hosts
 * would resolve them. Server A runs with the `sim` profile: llm-sim is the
 * LLM of the run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '@voc/config';
import { simConfigFromEnv } from '@voc/llm-sim/config';
import { interpolate, parseCompose, rawEnvironment, rewriteUrlHosts, urlParts, type ComposeFile, type ComposeService } from './compose';
import type { HostPlan, PlannedService } from './hosts';
import { HOSTS, type HostRole, type TestHost } from './testbed';

/** A NATS node as its compose service and generated config describe it. */
export interface NatsNodeSpec {
  name: string;
  host: TestHost;
  /** The generated config file's text (store_dir is moved into the run's data dir). */
  config: string;
  /** Its container environment (credentials, routes, advertised address). */
  env: Record<string, string>;
  clientPort: number;
  monitorPort: number;
}

/** A one-shot container (the migration), run to completion before the services. */
export interface OneShot {
  name: string;
  host: TestHost;
  command: string[];
  env: Record<string, string>;
}

/** The compose profile that adds llm-sim to server A. */
export const SIM_PROFILE = 'sim';

export interface Deployment {
  sources: string[];
  serverA: HostPlan;
  serverB: HostPlan;
  oneShots: OneShot[];
  postgres: { port: number; user: string; password: string; database: string; maxConnections: number };
  redis: { port: number; password: string };
  nats: NatsNodeSpec[];
  /** Where the services' LLM (llm-sim, on A) listens. */
  llm: { host: string; port: number; apiKey: string; accountLimit: number };
  gateway: { url: string; apiKey: string };
  maxApiRps: number;
  /** Where this run differs from what `docker compose up` would do. */
  deviations: readonly string[];
}

/** `KEY=value` lines of an env file (comments and blank lines skipped, values unquoted). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`not a KEY=value line: ${line}`);
    out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** A test value for a variable the operator must fill in: URL-safe, obviously not a real secret. */
export function testValue(name: string): string {
  if (name === 'NATS_USER') return 'voc';
  return `test${name.toLowerCase().replace(/[^a-z0-9]/g, '')}0123456789`;
}

/**
 * A host's variables: its .env.example, empty values filled with test
 * values, then the test bed's addresses, the simulator as the LLM (the
 * value the example documents for `--profile sim`) and its token limit.
 */
export function hostVariables(envExample: string, host: TestHost): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseEnvFile(envExample))) vars[k] = v === '' ? testValue(k) : v;
  return {
    ...vars,
    PRIVATE_IP: host.address,
    SERVER_A_IP: HOSTS['server-a'].address,
    SERVER_B_IP: HOSTS['server-b'].address,
    LLM_BASE_URL: 'http://llm-sim:8090/v1',
    MAX_API_TPM: TEST_BED_MAX_API_TPM,
  };
}

/** Where a service's host names resolve: the host's own services, then its `extra_hosts`. */
export function hostNames(file: ComposeFile, svc: ComposeService, vars: Record<string, string>, host: TestHost, where: string): Record<string, string> {
  const names: Record<string, string> = Object.fromEntries(Object.keys(file.services).map((n) => [n, host.address]));
  for (const entry of (svc.extra_hosts as string[] | undefined) ?? []) {
    const resolved = interpolate(entry, vars, `${where} extra_hosts`);
    const colon = resolved.indexOf(':');
    if (colon < 1) throw new Error(`${where}: extra_hosts entry '${resolved}' is not name:address`);
    names[resolved.slice(0, colon)] = resolved.slice(colon + 1);
  }
  return names;
}

/** A service's environment as its container would get it, host names pointed at test addresses. */
export function serviceEnv(file: ComposeFile, name: string, vars: Record<string, string>, host: TestHost): Record<string, string> {
  const svc = file.services[name];
  if (!svc) throw new Error(`${host.role}: no service ${name}`);
  const where = `${host.role}/${name}`;
  const names = hostNames(file, svc, vars, host, where);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawEnvironment(svc))) env[k] = rewriteUrlHosts(interpolate(v, vars, `${where} ${k}`), names);
  return env;
}

function commandOf(svc: ComposeService): string[] {
  const c = svc.command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c.map(String) : c.split(/\s+/).filter(Boolean);
}

/** The app of apps/ a service runs (`node apps/<app>/dist/main.js`), if it is one. */
export function appOf(svc: ComposeService): ServiceName | undefined {
  const cmd = commandOf(svc);
  if (cmd[0] !== 'node') return undefined;
  for (const arg of cmd) {
    const m = /^apps\/([^/]+)\//.exec(arg);
    if (m && (SERVICE_NAMES as string[]).includes(m[1]!)) return m[1] as ServiceName;
  }
  return undefined;
}

/** The container port of the first `ports:` entry ("[ip:]host:container"). */
function containerPort(svc: ComposeService, vars: Record<string, string>, where: string): number {
  const first = (svc.ports as string[] | undefined)?.[0];
  if (!first) throw new Error(`${where}: no ports`);
  const port = Number(interpolate(first, vars, `${where} ports`).split(':').pop());
  if (!Number.isInteger(port)) throw new Error(`${where}: cannot read a port from '${first}'`);
  return port;
}

/** Reads the ports a NATS config listens on (client, monitoring). */
export function natsConfigPorts(config: string, where: string): { clientPort: number; monitorPort: number } {
  const port = (re: RegExp, what: string) => {
    const m = re.exec(config);
    if (!m) throw new Error(`${where}: no ${what} in the NATS config`);
    return Number(m[1]);
  };
  return { clientPort: port(/^listen:\s*"?[^"\s]*:(\d+)"?/m, 'client listen'), monitorPort: port(/^http:\s*"?[^"\s]*:(\d+)"?/m, 'http') };
}

interface HostFiles {
  host: TestHost;
  source: string;
  file: ComposeFile;
  vars: Record<string, string>;
  dir: string;
}

function readHost(root: string, role: HostRole): HostFiles {
  const dir = path.join(root, 'infra', role);
  const source = path.join(dir, 'compose.yml');
  const host = HOSTS[role];
  return {
    host,
    source,
    dir,
    file: parseCompose(readFileSync(source, 'utf8'), source),
    vars: hostVariables(readFileSync(path.join(dir, '.env.example'), 'utf8'), host),
  };
}

/** The services `docker compose [--profile …] up` starts: those without a profile, and those of an asked-for profile. */
function active(h: HostFiles, profiles: string[] = []): [string, ComposeService][] {
  return Object.entries(h.file.services).filter(([, s]) => !s.profiles?.length || s.profiles.some((p) => profiles.includes(p)));
}

function planHost(h: HostFiles, profiles: string[] = []): HostPlan {
  const services: PlannedService[] = [];
  for (const [name, svc] of active(h, profiles)) {
    const app = appOf(svc);
    if (!app || svc.restart === 'no') continue;
    const env = serviceEnv(h.file, name, h.vars, h.host);
    const def = SERVICES[app];
    const port = Number(env[def.portVar] ?? def.port);
    services.push({ name, app, env, port });
  }
  const ports = services.map((s) => s.port);
  const clash = ports.find((p, i) => ports.indexOf(p) !== i);
  // Containers have a network namespace each; here a host's services share one.
  if (clash !== undefined) throw new Error(`${h.host.role}: two services listen on port ${clash}; the test bed runs a host's services in one namespace`);
  return { host: h.host, services };
}

function oneShotsOf(h: HostFiles): OneShot[] {
  return active(h)
    .filter(([, s]) => s.restart === 'no' && commandOf(s)[0] === 'node')
    .map(([name, s]) => ({ name, host: h.host, command: commandOf(s), env: serviceEnv(h.file, name, h.vars, h.host) }));
}

function natsNodesOf(h: HostFiles): NatsNodeSpec[] {
  return active(h)
    // The image is `${NATS_IMAGE:-nats:…}`: what compose would run with this host's variables.
    .filter(([name, s]) => typeof s.image === 'string' && interpolate(s.image, h.vars, `${h.host.role}/${name} image`).startsWith('nats:'))
    .map(([name, s]) => {
      const mount = ((s.volumes as string[] | undefined) ?? []).find((v) => v.endsWith('.conf:ro') || /\.conf:/.test(v));
      if (!mount) throw new Error(`${h.host.role}/${name}: no NATS config mounted`);
      const configPath = path.resolve(h.dir, mount.split(':')[0]!);
      const config = readFileSync(configPath, 'utf8');
      return { name, host: h.host, config, env: serviceEnv(h.file, name, h.vars, h.host), ...natsConfigPorts(config, configPath) };
    });
}

function the<T>(values: T[], what: string): T {
  const distinct = [...new Set(values)];
  if (distinct.length !== 1) throw new Error(`expected one ${what} across the deployment, found ${JSON.stringify(distinct)}`);
  return distinct[0]!;
}

/**
 * The test beds' fleet token limit. Their simulated account limits requests
 * only (llm-sim without LLM_SIM_TPM_LIMIT), so the token dimension is set to
 * what 200 RPS of these calls need (~2,000 tokens reserved each): these runs
 * measure host loss at the request limit. With the production default (960,000
 * TPM, 80 % of qwen-plus-latest's) insight and theme calls bind at ~10 RPS and a
 * run of 3,000 reviews takes ten minutes instead of two; the token budget is
 * what `npm run bench:tokens` measures.
 */
export const TEST_BED_MAX_API_TPM = String(200 * 2_000 * 60);

/**
 * llm-sim stands in for the provider, whose clock does not share our two
 * cores: it runs at a higher CPU priority (we are root), so that a starved
 * llm-sim does not read requests late and count more than a second's in one
 * (a 185-ms stall in llm-sim turned 200 RPS into 253 in CI).
 */
export const LLM_SIM_NICE = -10;

/** What the test bed does differently from `docker compose up` on two machines (printed and written with the figures). */
export const DEVIATIONS: readonly string[] = [
  'processes, not containers: each app runs `node --import tsx apps/<app>/src/main.ts` (the code the image bundles into dist/main.js) in its host\'s network namespace; mem_limit, healthchecks and restart policies are not applied (NODE_OPTIONS is)',
  "PostgreSQL and Redis are started by @voc/local-stack with the compose files' credentials, ports and max_connections, not the other tuning flags (shared_buffers, Redis maxmemory)",
  "NATS: the distribution's nats-server (2.9) instead of the nats:2.10 image, with the generated configs (store_dir moved into the run's data dir)",
  'monitoring (prometheus, grafana, nats-exporter, prometheus-agent) is not run',
  "NODE_NAME: @voc/local-stack's startApp replaces the compose value (server-a / server-b) with 'local'; the run tells the hosts apart by address instead",
  `MAX_API_TPM=${TEST_BED_MAX_API_TPM} instead of 960000: llm-sim limits requests only here, and the run measures host loss at the request limit (bench:tokens measures the token budget)`,
  `llm-sim runs at nice ${LLM_SIM_NICE}: it stands in for a provider that does not share the test bed's CPUs`,
];

export function loadDeployment(root: string): Deployment {
  const a = readHost(root, 'server-a');
  const b = readHost(root, 'server-b');
  // Server A with the simulator, as `docker compose --profile sim up` runs it for a fleet without a provider.
  const serverA = planHost(a, [SIM_PROFILE]);
  const serverB = planHost(b);
  const all = [...serverA.services, ...serverB.services].filter((s) => s.app !== 'llm-sim');
  const serviceOf = (plan: HostPlan, app: ServiceName) => {
    const s = plan.services.find((x) => x.app === app);
    if (!s) throw new Error(`${plan.host.role} runs no ${app}`);
    return s;
  };

  const pgSvc = a.file.services.postgres;
  const redisSvc = a.file.services.redis;
  if (!pgSvc || !redisSvc) throw new Error('server-a: expected the services postgres and redis');
  const pgEnv = serviceEnv(a.file, 'postgres', a.vars, a.host);
  const maxConn = /max_connections=(\S+)/.exec(commandOf(pgSvc).map((c) => interpolate(c, a.vars, 'server-a/postgres command')).join(' '))?.[1];
  for (const s of all) {
    const u = s.env.DATABASE_URL ? urlParts(s.env.DATABASE_URL) : undefined;
    if (u && (u.user !== pgEnv.POSTGRES_USER || u.password !== pgEnv.POSTGRES_PASSWORD || u.path !== pgEnv.POSTGRES_DB)) {
      throw new Error(`${s.name}: DATABASE_URL does not match the postgres service's POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB`);
    }
  }
  const redisEnv = serviceEnv(a.file, 'redis', a.vars, a.host);
  for (const s of all) {
    if (s.env.REDIS_URL && urlParts(s.env.REDIS_URL).password !== redisEnv.REDIS_PASSWORD) throw new Error(`${s.name}: REDIS_URL password is not redis's REDIS_PASSWORD`);
  }

  const simEnv = serviceOf(serverA, 'llm-sim').env;
  const llmUrl = urlParts(the(all.map((s) => s.env.LLM_BASE_URL).filter((u): u is string => Boolean(u)), 'LLM_BASE_URL'));
  const llmKey = the(all.map((s) => s.env.LLM_API_KEY).filter((k): k is string => Boolean(k)), 'LLM_API_KEY');
  if (simEnv.LLM_SIM_API_KEY !== llmKey) throw new Error("llm-sim's LLM_SIM_API_KEY is not the services' LLM_API_KEY");
  if (llmUrl.host !== a.host.address || String(llmUrl.port) !== simEnv.LLM_SIM_PORT) {
    throw new Error(`LLM_BASE_URL points at ${llmUrl.host}:${llmUrl.port}, llm-sim listens on ${a.host.address}:${simEnv.LLM_SIM_PORT}`);
  }

  const gw = serviceOf(serverA, 'gateway');
  const rps = Number(the(all.filter((s) => s.env.MAX_API_RPS !== undefined).map((s) => s.env.MAX_API_RPS!), 'MAX_API_RPS'));
  return {
    sources: [a.source, b.source].map((s) => path.relative(root, s)),
    serverA,
    serverB,
    oneShots: [...oneShotsOf(a), ...oneShotsOf(b)],
    postgres: {
      port: containerPort(pgSvc, a.vars, 'server-a/postgres'),
      user: pgEnv.POSTGRES_USER!,
      password: pgEnv.POSTGRES_PASSWORD!,
      database: pgEnv.POSTGRES_DB!,
      maxConnections: Number(maxConn ?? 200),
    },
    redis: { port: containerPort(redisSvc, a.vars, 'server-a/redis'), password: redisEnv.REDIS_PASSWORD! },
    nats: [...natsNodesOf(a), ...natsNodesOf(b)],
    llm: { host: llmUrl.host, port: Number(simEnv.LLM_SIM_PORT), apiKey: llmKey, accountLimit: simConfigFromEnv(simEnv).rpsLimit },
    gateway: { url: `http://${a.host.address}:${gw.port}`, apiKey: gw.env.GATEWAY_API_KEYS!.split(',')[0]! },
    maxApiRps: rps,
    deviations: DEVIATIONS,
  };
}

/** The deployment with llm-sim answering in `latencyMs` ± a third (a deviation: the compose files leave llm-sim's default). */
export function withSimLatency(dep: Deployment, latencyMs: number): Deployment {
  const services = dep.serverA.services.map((s) =>
    s.app === 'llm-sim' ? { ...s, env: { ...s.env, LLM_SIM_LATENCY_MS: String(latencyMs), LLM_SIM_JITTER_MS: String(Math.round(latencyMs / 3)) } } : s,
  );
  if (!services.some((s) => s.app === 'llm-sim')) throw new Error('server-a runs no llm-sim');
  return {
    ...dep,
    serverA: { ...dep.serverA, services },
    deviations: [...dep.deviations, `llm-sim answers in ${latencyMs} ± ${Math.round(latencyMs / 3)} ms instead of its default 300 ± 100 ms`],
  };
}

/** The deployment with `vars` added to every pipeline service's environment (an experiment: recorded as a deviation). */
export function withServiceEnv(dep: Deployment, vars: Record<string, string>): Deployment {
  if (Object.keys(vars).length === 0) return dep;
  const add = (plan: HostPlan): HostPlan => ({
    ...plan,
    services: plan.services.map((s) => (s.app === 'llm-sim' ? s : { ...s, env: { ...s.env, ...vars } })),
  });
  const listed = Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(' ');
  return { ...dep, serverA: add(dep.serverA), serverB: add(dep.serverB), deviations: [...dep.deviations, `every service also gets ${listed}`] };
}
