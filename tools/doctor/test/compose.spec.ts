/**
 * The validation of infra/: the committed files are what the generator
 * writes from libs/config's SERVICES (so compose and `npm start` cannot
 * drift), they read back as the model, and the model is a deployment that
 * starts: every app on its host with a configuration its own loader
 * accepts, no secret with a default, nothing but the gateway published
 * publicly, healthchecks and memory limits everywhere.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CPU_CLASSES,
  cpuClassOf,
  DEPLOY_ROLES,
  NODE_RUNTIME_ENV,
  nodeFlagsOf,
  placement,
  serviceDefinition,
  serviceEnvironment,
  servicesOn,
  SERVICES,
  type DeployRole,
  type ServiceName,
} from '@voc/config';
import { METRIC_NAMES, QUEUES, type QueueName } from '@voc/messaging/testing';
import {
  appEnvironment,
  applyOverride,
  composeDocument,
  composeFile,
  ARCHIVE_COMMAND,
  BACKUP_MOUNT,
  dashboardMetricNames,
  ENDPOINTS,
  ETCD_MEMBERS,
  extraHosts,
  GATEWAYS,
  HAPROXY,
  haproxyConfig,
  generatedFiles,
  HOST_VARIABLES,
  interpolate,
  interpolateEnvironment,
  memoryBudget,
  MIN_HOST_RESERVE_MB,
  NATS_NODES,
  NATS_URL,
  natsConfig,
  OVERRIDES,
  parseMemLimit,
  PATRONI_TIMING,
  ETCD_TIMING,
  patroniConfig,
  PG_NODES,
  poolConnections,
  prometheusAgentConfig,
  prometheusConfig,
  REDIS_NODES,
  ref,
  references,
  sampleEnv,
  SENTINEL_QUORUM,
  SENTINELS,
  stripComments,
  variablesOf,
  type ComposeFile,
  type GeneratedFile,
  type YamlMap,
  type YamlValue,
} from '@voc/infra';
import { serviceConfigProblems } from '../src/service-config';
import { parseYamlSubset } from './support/yaml-subset';

const ROOT = path.resolve(__dirname, '../../..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const FILES: GeneratedFile[] = generatedFiles(read('infra/README.md'));

/** Every string in a value (for scanning `${…}` references). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

/** The variables compose would miss if `vars` were the host's .env. */
function missingVariables(file: ComposeFile, vars: Record<string, string>): string[] {
  const missing = new Set<string>();
  for (const s of strings(composeDocument(file))) for (const m of interpolate(s, vars).missing) missing.add(m.variable);
  return [...missing].sort();
}

const isApp = (name: string): name is ServiceName => name in SERVICES;
const redisStartScriptText = () => read('infra/server-a/redis/redis.sh');

describe('the generated files', () => {
  it.each(FILES.map((f) => [f.path, f] as const))('%s is committed exactly as infra/generate.ts writes it', (_p, f) => {
    // On failure: run `npm run infra:generate` and commit the result.
    expect(read(f.path)).toBe(f.content);
  });

  it.each(DEPLOY_ROLES)('%s/compose.yml reads back as the model (independent YAML reader)', (role) => {
    const committed = parseYamlSubset(read(`infra/${role}/compose.yml`));
    expect(committed).toEqual(JSON.parse(JSON.stringify(composeDocument(composeFile(role)))));
  });

  it.each(DEPLOY_ROLES)('%s Prometheus config reads back as the model', (role) => {
    const [file, model] =
      role === 'server-a' ? ['prometheus.yml', prometheusConfig()] : ['prometheus-agent.yml', prometheusAgentConfig(role)];
    expect(parseYamlSubset(read(`infra/${role}/prometheus/${file}`))).toEqual(JSON.parse(JSON.stringify(model)));
  });
});

describe.each(DEPLOY_ROLES)('the %s compose file', (role: DeployRole) => {
  const file = composeFile(role);
  const vars = sampleEnv(role);
  const apps = Object.keys(file.services).filter(isApp);

  it('runs exactly the apps libs/config places on this host, each its own program from the one image', () => {
    expect(apps.sort()).toEqual([...servicesOn(role)].sort());
    for (const name of apps) {
      const s = file.services[name]!;
      expect(s.image).toBe(ref('VOC_IMAGE', role));
      expect(s.command).toEqual(['node', ...nodeFlagsOf(name), `apps/${name}/dist/main.js`]);
      // The allocator setting npm start uses too.
      expect(s.environment).toMatchObject(NODE_RUNTIME_ENV);
    }
  });

  it("gives each app its host role's settings from serviceEnvironment()", () => {
    for (const name of apps) {
      const env = file.services[name]!.environment!;
      for (const [k, v] of Object.entries(serviceEnvironment(name, role))) expect([name, k, env[k]]).toEqual([name, k, v]);
    }
  });

  it("starts every app with a configuration its own loader accepts (sample .env)", () => {
    for (const name of apps) {
      const { env, missing } = interpolateEnvironment(file.services[name]!.environment!, vars);
      expect([name, missing]).toEqual([name, []]);
      expect([name, serviceConfigProblems(name, env)]).toEqual([name, []]);
    }
  });

  it('defines or requires (${VAR:?}) every variable a service cannot start without', () => {
    for (const name of apps) {
      const template = file.services[name]!.environment!;
      const { env } = interpolateEnvironment(template, vars);
      for (const key of Object.keys(env)) {
        const { [key]: _dropped, ...without } = env;
        if (serviceConfigProblems(name, without).some((p) => p.startsWith(`${key}:`))) {
          // Needed by the schema: compose sets it literally, or refuses to start without it.
          const refs = references(template[key]!);
          expect([name, key, refs.length === 0 || refs.every((r) => r.op === ':?' || r.op === ':-')]).toEqual([name, key, true]);
        }
      }
    }
    // The two the schemas require outright are required by compose too.
    if (role === 'server-a') expect(file.services.gateway!.environment!.GATEWAY_API_KEYS).toMatch(/^\$\{GATEWAY_API_KEYS:\?/);
    for (const name of apps.filter((n) => SERVICES[n].llm)) expect(file.services[name]!.environment!.LLM_API_KEY).toMatch(/^\$\{LLM_API_KEY:\?/);
  });

  it('refuses to start without each required variable, naming it', () => {
    expect(missingVariables(file, vars)).toEqual([]);
    for (const v of variablesOf(role).filter((x) => x.roles[role]!.default === undefined)) {
      const { [v.name]: _gone, ...without } = vars;
      expect(missingVariables(file, without)).toContain(v.name);
      expect(missingVariables(file, { ...without, [v.name]: '' })).toContain(v.name);
    }
  });

  it('gives no secret a default, here or in its .env.example, and refers only to its own variables', () => {
    const own = new Set(variablesOf(role).map((v) => v.name));
    const secrets = new Set(HOST_VARIABLES.filter((v) => v.secret).map((v) => v.name));
    // Compose interpolates only the compose file; the configs it mounts are read as they are.
    for (const r of references(read(`infra/${role}/compose.yml`))) {
      expect([r.text, own.has(r.variable)]).toEqual([r.text, true]);
      if (secrets.has(r.variable)) expect([r.text, r.op]).toEqual([r.text, ':?']);
    }
    for (const v of HOST_VARIABLES.filter((x) => x.secret)) expect(Object.values(v.roles).every((u) => u.default === undefined)).toBe(true);
    const example = read(`infra/${role}/.env.example`);
    for (const v of variablesOf(role).filter((x) => x.secret)) expect(example).toMatch(new RegExp(`^${v.name}=$`, 'm'));
  });

  it("publishes nothing beyond the private address but the load balancer's uploads port", () => {
    // On loopback: the host's own HAProxy to the PostgreSQL primary (the doctor, an operator's psql).
    const loopback = (s: { ports?: string[] }) => (s.ports ?? []).filter((p) => p.startsWith('127.0.0.1:'));
    expect(Object.entries(file.services).flatMap(([n, s]) => loopback(s).map((p) => `${n} ${p}`))).toEqual(
      role === 'witness' ? [] : [`${HAPROXY.service} 127.0.0.1:${HAPROXY.postgresPort}:${HAPROXY.postgresPort}`],
    );
    if (role === 'worker') {
      // A worker host serves nothing: it only connects out.
      expect(Object.values(file.services).flatMap((s) => (s.ports ?? []).filter((p) => !p.startsWith('127.0.0.1:')))).toEqual([]);
      return;
    }
    const privateIp = ref('PRIVATE_IP', role);
    const publicPorts: string[] = [];
    for (const [name, s] of Object.entries(file.services)) {
      for (const p of s.ports ?? []) {
        const m = /^(.*):(\$\{[^}]+\}|\d+):(\d+)$/.exec(p);
        expect([name, p, Boolean(m)]).toEqual([name, p, true]);
        if (m![1] === '127.0.0.1') continue;
        if (m![1] === '0.0.0.0') publicPorts.push(`${name}:${m![3]}`);
        else expect([name, m![1]]).toEqual([name, privateIp]);
      }
    }
    expect(publicPorts).toEqual(servicesOn(role).includes('gateway') ? [`${HAPROXY.service}:${HAPROXY.uploadsPort}`] : []);
  });

  it('has a healthcheck on every long-running service (only the one-shot migration and the scratch-image exporter have none)', () => {
    for (const [name, s] of Object.entries(file.services)) {
      if (s.restart === 'no' || name === 'nats-exporter') {
        expect([name, s.healthcheck]).toEqual([name, { disable: true }]);
      } else {
        expect([name, s.healthcheck.test?.[0]]).toEqual([name, expect.stringMatching(/^CMD(-SHELL)?$/)]);
        expect([name, s.healthcheck.interval]).toEqual([name, expect.stringMatching(/^\d+s$/)]);
      }
    }
    for (const name of apps) expect(file.services[name]!.healthcheck.test).toEqual(['CMD', 'bash', 'infra/docker/healthcheck.sh']);
  });

  it('weighs each app container by its CPU class, the servers of the upload path as interactive', () => {
    for (const name of apps) expect([name, file.services[name]!.cpu_shares]).toEqual([name, cpuClassOf(name).cpuShares]);
    // The upload path (HAProxy, gateway, NATS, Redis) never weighs less than the batch workers.
    const batch = CPU_CLASSES.batch.cpuShares;
    const uploadPath = new Set([HAPROXY.service, 'gateway', ...NATS_NODES.map((n) => n.name), ...REDIS_NODES.map((n) => n.name)]);
    for (const [name, s] of Object.entries(file.services)) {
      if (uploadPath.has(name)) expect([name, s.cpu_shares]).toEqual([name, CPU_CLASSES.interactive.cpuShares]);
      if (s.cpu_shares !== undefined) expect(s.cpu_shares).toBeGreaterThanOrEqual(batch);
    }
  });

  it("limits every container's memory, apps as placed, within the host's budget", () => {
    for (const s of Object.values(file.services)) expect(parseMemLimit(s.mem_limit)).toBeGreaterThan(0);
    for (const name of apps) {
      const s = file.services[name]!;
      const limit = parseMemLimit(s.mem_limit);
      expect(limit).toBe(placement(name, role)!.memoryMb);
      const heap = Number(/--max-old-space-size=(\d+)/.exec(s.environment!.NODE_OPTIONS ?? '')?.[1]);
      expect(heap).toBeGreaterThan(limit / 2);
      expect(heap).toBeLessThan(limit);
    }
    const b = memoryBudget(role);
    expect(b.limitsMb).toBe(Object.values(b.byService).reduce((x, y) => x + y, 0));
    expect(b.reserveMb).toBeGreaterThanOrEqual(MIN_HOST_RESERVE_MB);
  });

  it('depends only on services it declares, and declares the named volumes it mounts', () => {
    for (const [name, s] of Object.entries(file.services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect([name, dep in file.services]).toEqual([name, true]);
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./')) expect(FILES.some((f) => f.path.startsWith(path.posix.join(`infra/${role}`, source)))).toBe(true);
        // A host directory named by a variable of this host (the backup store).
        else if (source.startsWith('${')) expect(variablesOf(role).map((x) => x.name)).toContain(/^\$\{(\w+)/.exec(source)![1]);
        else expect([name, source in file.volumes]).toEqual([name, true]);
      }
    }
  });

  it('reaches every endpoint of another host through extra_hosts, by the same names everywhere', () => {
    // Another host's endpoints, and this host's under another name than their compose service (gateway-a).
    const named = ENDPOINTS.filter((e) => e.owner !== role || e.service).map((e) => e.name).sort();
    for (const name of apps.filter((n) => serviceDefinition(n).backend)) {
      const hosts = file.services[name]!.extra_hosts ?? [];
      expect(hosts.map((h) => h.split(':')[0]).sort()).toEqual(named);
      expect(file.services[name]!.environment!.NATS_URL).toBe(NATS_URL);
      // The Sentinels name the Redis master; the host's HAProxy leads to the PostgreSQL primary.
      expect(file.services[name]!.environment!.REDIS_URL).toMatch(/^redis\+sentinel:\/\/:\$\{REDIS_PASSWORD:\?[^}]*\}@sentinel-a:26379,sentinel-b:26379,sentinel-w:26379\/voc$/);
      expect(file.services[name]!.environment!.DATABASE_URL).toMatch(new RegExp(`@${HAPROXY.service}:${HAPROXY.postgresPort}/`));
    }
    for (const e of ENDPOINTS.filter((x) => x.owner === role && !x.service)) expect([e.name, e.name in file.services]).toEqual([e.name, true]);
    expect(extraHosts(role).every((h) => /:\$\{(PRIVATE_IP|SERVER_A_IP|SERVER_B_IP|WITNESS_IP):\?/.test(h))).toBe(true);
  });
});

describe('server A', () => {
  const a = composeFile('server-a');

  it('starts an app only after the migration completed and its servers are healthy', () => {
    // HAProxy is healthy once a PostgreSQL primary is behind it.
    expect(a.services.migrate!.depends_on).toEqual({ [HAPROXY.service]: { condition: 'service_healthy' } });
    expect(a.services.migrate!.command).toEqual(['node', '--import', 'tsx', 'libs/db/scripts/migrate.ts']);
    for (const name of servicesOn('server-a').filter((n) => serviceDefinition(n).backend)) {
      expect(a.services[name]!.depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        [HAPROXY.service]: { condition: 'service_healthy' },
        'redis-a': { condition: 'service_healthy' },
        'nats-a1': { condition: 'service_healthy' },
      });
    }
  });

  it('keeps llm-sim out of a plain `up` (profile sim)', () => {
    expect(a.services['llm-sim']!.profiles).toEqual(['sim']);
    expect(memoryBudget('server-a').byService['llm-sim']).toBeUndefined();
  });
});

describe('high availability: every piece of state on both servers, every quorum with the witness', () => {
  const hosts = Object.fromEntries(DEPLOY_ROLES.map((r) => [r, composeFile(r)])) as Record<DeployRole, ComposeFile>;
  const servers = ['server-a', 'server-b'] as const;
  /** What each role votes with, and whether losing it keeps a majority. */
  const members = (list: readonly { owner: string }[]) => DEPLOY_ROLES.map((r) => list.filter((m) => m.owner === r).length);

  it.each([
    ['NATS', NATS_NODES],
    ['etcd', ETCD_MEMBERS],
    ['Sentinel', SENTINELS],
  ] as const)('%s: three members on three machines, so no host holds a majority and losing any one keeps it', (_what, list) => {
    expect(list).toHaveLength(3);
    const majority = Math.floor(list.length / 2) + 1;
    for (const count of members(list)) {
      expect(count).toBeLessThan(majority);
      expect(list.length - count).toBeGreaterThanOrEqual(majority);
    }
    expect(new Set(list.map((m) => m.owner))).toEqual(new Set(['server-a', 'server-b', 'witness']));
  });

  it('runs PostgreSQL under Patroni and Redis on both servers, the witness holding no data but votes and backups', () => {
    for (const role of servers) {
      expect(hosts[role].services[PG_NODES.find((n) => n.owner === role)!.name]!.command).toEqual(['patroni', '/etc/patroni/patroni.yml']);
      expect(REDIS_NODES.filter((n) => n.owner === role).map((n) => n.name in hosts[role].services)).toEqual([true]);
    }
    expect(PG_NODES.map((n) => n.owner).sort()).toEqual([...servers]);
    expect(Object.keys(hosts.witness.services).sort()).toEqual(['etcd-w', 'nats-exporter', 'nats-w1', 'pg-basebackup', 'pg-restore', 'prometheus-agent', 'sentinel-w']);
    expect(Number(interpolate(ref('NATS_REPLICAS', 'server-b'), {}).value)).toBe(3);
    expect(SENTINEL_QUORUM).toBe(2);
  });

  it('replicates PostgreSQL synchronously, promotes only a caught-up replica, rewinds a returning primary, archives every segment', () => {
    const cfg = patroniConfig() as unknown as { bootstrap: { dcs: YamlValue }; postgresql: YamlValue };
    const dcs = stripComments(cfg.bootstrap.dcs) as { ttl: number; loop_wait: number; retry_timeout: number; postgresql: { parameters: Record<string, unknown>; use_pg_rewind: boolean } };
    expect(dcs).toMatchObject({ synchronous_mode: true, maximum_lag_on_failover: 1048576, ...PATRONI_TIMING });
    expect(dcs.loop_wait + 2 * dcs.retry_timeout).toBeLessThanOrEqual(dcs.ttl); // Patroni's rule
    // A primary must not demote while etcd elects a leader (randomized: up to twice the election timeout).
    expect(dcs.retry_timeout * 1000).toBeGreaterThan(2 * ETCD_TIMING.election);
    expect(dcs.postgresql.use_pg_rewind).toBe(true);
    expect(dcs.postgresql.parameters).toMatchObject({ wal_log_hints: 'on', archive_mode: 'always', archive_command: ARCHIVE_COMMAND });
    for (const role of servers) {
      const pg = hosts[role].services[PG_NODES.find((n) => n.owner === role)!.name]!;
      expect(pg.volumes).toContain(`${ref('PG_BACKUP_DIR', role)}:${BACKUP_MOUNT}`);
      expect(pg.shm_size).toBe('1g');
    }
  });

  it("tunes PostgreSQL after seed 001 with room for every pool of the deployment", () => {
    const params = (stripComments((patroniConfig() as { bootstrap: YamlMap }).bootstrap) as { dcs: { postgresql: { parameters: Record<string, unknown> } } }).dcs.postgresql.parameters;
    for (const n of ['shared_buffers', 'work_mem', 'max_connections', 'effective_cache_size', 'maintenance_work_mem', 'checkpoint_completion_target', 'wal_buffers', 'random_page_cost']) {
      expect(params).toHaveProperty(n);
    }
    // A, B, three worker hosts and translate-svc scaled to three (overrides/translate-x3.yml),
    // with room left for the migration, Patroni, the backups, the doctor and an operator's psql.
    const translatePool = Number(serviceEnvironment('translate-svc', 'server-a').DB_POOL_SIZE);
    const pools = poolConnections('server-a') + poolConnections('server-b') + 3 * poolConnections('worker') + 2 * translatePool;
    expect(pools + 10).toBeLessThan(params.max_connections as number);
  });

  it('starts Redis as a replica of the master the Sentinels name, append-only and never evicting', () => {
    // The commands, not the comments.
    const script = redisStartScriptText().split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    expect(script).toMatch(/sentinel get-master-addr-by-name voc/);
    expect(script).toMatch(/--replicaof \$master 6379/);
    expect(script).toMatch(/--maxmemory-policy noeviction\b/);
    expect(script).toMatch(/--appendonly yes --appendfsync everysec/);
    expect(script).not.toMatch(/allkeys-lru/);
    // Through the image's entrypoint, which drops to the redis user.
    expect(script).toMatch(/exec docker-entrypoint\.sh redis-server /);
    for (const role of servers) {
      const redis = hosts[role].services[REDIS_NODES.find((n) => n.owner === role)!.name]!;
      expect(redis.environment!.REDIS_FIRST_MASTER_IP).toBe(ref(role === 'server-a' ? 'PRIVATE_IP' : 'SERVER_A_IP', role));
    }
  });

  it('sends uploads to both gateways through HAProxy, checked with GET /readyz/uploads, the services to the primary (/primary) and a live NATS node', () => {
    for (const role of servers) {
      const cfg = haproxyConfig(role);
      expect(cfg).toContain('option httpchk GET /readyz/uploads');
      for (const g of GATEWAYS) expect(cfg).toContain(`server ${g.name} ${g.name}:${g.port} check`);
      expect(cfg).toContain('option httpchk OPTIONS /primary');
      for (const n of PG_NODES) expect(cfg).toContain(`server ${n.name} ${n.name}:${n.port} check port ${n.apiPort}`);
      expect(cfg).toContain('on-marked-down shutdown-sessions');
      expect(hosts[role].services.keepalived!.network_mode).toBe('host');
    }
    // Every app host reaches NATS through its HAProxy too: a dead node's sessions are cut, the clients move on.
    for (const role of ['server-a', 'server-b', 'worker'] as const) {
      const cfg = haproxyConfig(role);
      expect(cfg).toContain(`bind :${HAPROXY.natsPort}`);
      for (const n of NATS_NODES) expect(cfg).toContain(`server ${n.name} ${n.name}:${n.clientPort} check`);
    }
    expect(NATS_URL).toBe(`nats://${HAPROXY.service}:${HAPROXY.natsPort}`);
    expect(haproxyConfig('worker')).not.toContain('gateways');
    expect(hosts.worker.services[HAPROXY.service]).toBeDefined();
  });
});

describe('the JetStream cluster', () => {
  it('routes every node to the two others, on ports no other node of its host uses', () => {
    for (const node of NATS_NODES) {
      const svc = composeFile(node.owner).services[node.name]!;
      const routes = Object.entries(svc.environment!).filter(([k]) => k.startsWith('NATS_ROUTE_')).map(([, v]) => v);
      const targets = routes.map((r) => /@([^:]+):(\d+)$/.exec(r)!.slice(1).join(':')).sort();
      expect(targets).toEqual(NATS_NODES.filter((n) => n !== node).map((n) => `${n.name}:${n.clusterPort}`).sort());
      expect(natsConfig(node)).toContain(`routes: [${routes.map((_, i) => `$NATS_ROUTE_${i + 1}`).join(', ')}]`);
    }
    for (const role of DEPLOY_ROLES) {
      const ports = NATS_NODES.filter((n) => n.owner === role).flatMap((n) => [n.clientPort, n.clusterPort, n.monitorPort]);
      expect(new Set(ports).size).toBe(ports.length);
    }
  });
});

describe('the deployment as a whole', () => {
  /** CONCURRENCY summed over the processes that pull a queue's durable. */
  function heldMessages(queue: QueueName, files: { file: ComposeFile; replicas: Record<string, number> }[]): number {
    let sum = 0;
    for (const { file, replicas } of files) {
      for (const [name, s] of Object.entries(file.services)) {
        if (!isApp(name) || !s.environment?.CONCURRENCY) continue;
        const own = name.replace(/-svc$/, '').toUpperCase() === queue;
        const backsUp = queue === 'LEARNING' && s.environment.LEARNING_BACKUP === 'true';
        if (own || backsUp) sum += Number(s.environment.CONCURRENCY) * (replicas[name] ?? 1);
      }
    }
    return sum;
  }

  it("never holds more of a queue's messages than its durable's max_ack_pending (three worker hosts, overrides applied)", () => {
    const base = DEPLOY_ROLES.map((r) => ({ file: composeFile(r), replicas: {} as Record<string, number> }));
    const fleet = [...base, base[2]!, base[2]!]; // three worker hosts
    const scaled = OVERRIDES.flatMap((o) => o.roles.map((r) => ({ file: applyOverride(composeFile(r), o), replicas: applyOverride(composeFile(r), o).replicas })));
    for (const q of Object.keys(QUEUES) as QueueName[]) {
      const worst = heldMessages(q, [...fleet, ...scaled]);
      expect([q, worst < QUEUES[q].consumer.maxAckPending]).toEqual([q, true]);
    }
  });

  it('has Prometheus scrape every app of every host on its metrics port (the gateway off its public one)', () => {
    for (const role of DEPLOY_ROLES) {
      const cfg = (role === 'server-a' ? prometheusConfig() : prometheusAgentConfig(role)) as { scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[] };
      for (const name of servicesOn(role)) {
        const job = cfg.scrape_configs.find((j) => j.job_name === name);
        expect([role, name, job?.dns_sd_configs?.[0]]).toEqual([role, name, expect.objectContaining({ names: [name], port: name === 'gateway' ? SERVICES.gateway.metricsPort : SERVICES[name].port })]);
      }
    }
    expect(prometheusAgentConfig('worker')).toMatchObject({ remote_write: [{ url: 'http://prometheus:9090/api/v1/write' }] });
  });

  it('builds the dashboard only from metrics the code exports', () => {
    const sources = [
      'libs/rate-limiter/src/metrics.ts',
      'libs/llm/src/metrics.ts',
      'apps/gateway/src/metrics.ts',
      'libs/pipeline/src/sweeper.ts',
    ].map(read);
    const exported = new Set<string>([...sources.flatMap((s) => [...s.matchAll(/name: '([a-z_][a-z0-9_]*)'/g)].map((m) => m[1]!)), ...Object.values(METRIC_NAMES)]);
    const external = /^(jetstream_|up$|process_resident_memory_bytes$)/; // the NATS exporter, Prometheus, prom-client defaults
    for (const metric of dashboardMetricNames()) {
      if (external.test(metric)) continue;
      expect([metric, exported.has(metric.replace(/_(bucket|sum|count)$/, ''))]).toEqual([metric, true]);
    }
    expect(dashboardMetricNames()).toEqual(expect.arrayContaining(['rate_limiter_grants_total', 'jetstream_consumer_num_pending', 'llm_tokens_total', 'dlq_moves_total']));
  });

  it.each(OVERRIDES.flatMap((o) => o.roles.map((r) => [o.file, r, o] as const)))('override %s on %s keeps the host valid and within budget', (_f, role, o) => {
    const merged = applyOverride(composeFile(role), o);
    for (const [name, s] of Object.entries(o.services)) {
      const env = merged.services[name]!.environment!;
      for (const [k, v] of Object.entries(s.environment ?? {})) expect(env[k]).toBe(v);
      const { env: values } = interpolateEnvironment(env, sampleEnv(role));
      expect(serviceConfigProblems(name as ServiceName, values)).toEqual([]);
    }
    let limits = 0;
    for (const [name, s] of Object.entries(merged.services)) {
      if (s.profiles?.length || s.restart === 'no') continue;
      limits += parseMemLimit(s.mem_limit) * (merged.replicas[name] ?? 1);
    }
    expect(memoryBudget(role).hostMb - limits).toBeGreaterThanOrEqual(MIN_HOST_RESERVE_MB);
  });

  it('keeps each app environment free of values compose would read as YAML types (all strings)', () => {
    for (const role of DEPLOY_ROLES) for (const name of servicesOn(role)) for (const v of Object.values(appEnvironment(name, role))) expect(typeof v).toBe('string');
  });
});
