/**
 * Where the shared servers run and how every host reaches them.
 *
 * Every shared endpoint has one name and one port across the deployment
 * (pg-a:5432, sentinel-w:26379, nats-b1:4222, …), so the services'
 * environment is the same on every host: on the host that runs the endpoint
 * the name is its compose service; on the others `extra_hosts` maps the name
 * to the owner's private address. A process-based harness does the same with
 * a hosts file per network namespace, and the doctor (which runs on the host,
 * outside the containers) resolves the names to the addresses with
 * `endpointAddress`.
 *
 * High availability (seed 003, issue 14): every piece of state has a copy on
 * each of the two servers, and every quorum a third vote on the witness, so
 * no host holds a majority alone and losing either server keeps a majority:
 *
 *   server A            server B            witness
 *   pg-a (Patroni)      pg-b (Patroni)      —           PostgreSQL, synchronous streaming replication
 *   etcd-a              etcd-b              etcd-w      Patroni's lock (DCS), 2 of 3
 *   redis-a             redis-b             —           Redis, a replica of the master
 *   sentinel-a          sentinel-b          sentinel-w  Redis failover, quorum 2 of 3
 *   nats-a1             nats-b1             nats-w1     JetStream R3, 2 of 3
 *   gateway             gateway             —           behind HAProxy and the floating address
 */
import type { DeployRole } from '@voc/config';
import { ref } from './variables';

/** The roles that host shared servers. */
export type ServerRole = 'server-a' | 'server-b' | 'witness';

export interface Endpoint {
  name: string;
  port: number;
  owner: ServerRole;
  what: string;
  /** The compose service behind the name on its own host, when it is not the name itself (the gateways). */
  service?: string;
}

export const ENDPOINTS: readonly Endpoint[] = [
  { name: 'pg-a', port: 5432, owner: 'server-a', what: 'PostgreSQL under Patroni (REST API :8008)' },
  { name: 'pg-b', port: 5432, owner: 'server-b', what: 'PostgreSQL under Patroni (REST API :8008)' },
  { name: 'etcd-a', port: 2379, owner: 'server-a', what: "etcd member 1 of 3 (Patroni's lock; peers :2380)" },
  { name: 'etcd-b', port: 2379, owner: 'server-b', what: 'etcd member 2 of 3' },
  { name: 'etcd-w', port: 2379, owner: 'witness', what: 'etcd member 3 of 3' },
  { name: 'redis-a', port: 6379, owner: 'server-a', what: 'Redis (limiter, label cache, sweeper lock): master or replica' },
  { name: 'redis-b', port: 6379, owner: 'server-b', what: 'Redis: replica or master' },
  { name: 'sentinel-a', port: 26379, owner: 'server-a', what: 'Redis Sentinel 1 of 3' },
  { name: 'sentinel-b', port: 26379, owner: 'server-b', what: 'Redis Sentinel 2 of 3' },
  { name: 'sentinel-w', port: 26379, owner: 'witness', what: 'Redis Sentinel 3 of 3' },
  { name: 'nats-a1', port: 4222, owner: 'server-a', what: 'NATS node 1 of 3' },
  { name: 'nats-b1', port: 4222, owner: 'server-b', what: 'NATS node 2 of 3' },
  { name: 'nats-w1', port: 4222, owner: 'witness', what: 'NATS node 3 of 3' },
  { name: 'gateway-a', port: 8080, owner: 'server-a', what: "server A's gateway (a load balancer backend)", service: 'gateway' },
  { name: 'gateway-b', port: 8080, owner: 'server-b', what: "server B's gateway (a load balancer backend)", service: 'gateway' },
  { name: 'prometheus', port: 9090, owner: 'server-a', what: 'Prometheus (remote-write receiver of the other hosts)' },
  { name: 'llm-sim', port: 8090, owner: 'server-a', what: 'LLM simulator (profile "sim" only)' },
];

export function endpoint(name: string): Endpoint {
  const e = ENDPOINTS.find((x) => x.name === name);
  if (!e) throw new Error(`infra: no endpoint ${name}`);
  return e;
}

/** The endpoints whose names start with `prefix` (one per host of that kind of server). */
const endpointsOf = (prefix: string) => ENDPOINTS.filter((e) => e.name.startsWith(prefix));

/**
 * A NATS node of the JetStream cluster. Each listens on its own ports (client
 * p, cluster p + 2000, monitoring p + 4000) inside and outside its container.
 */
export interface NatsNode {
  name: string;
  owner: ServerRole;
  clientPort: number;
  clusterPort: number;
  monitorPort: number;
}

export const NATS_NODES: readonly NatsNode[] = endpointsOf('nats-').map((e) => ({
  name: e.name,
  owner: e.owner,
  clientPort: e.port,
  clusterPort: e.port + 2000,
  monitorPort: e.port + 4000,
}));

export const NATS_CLUSTER_NAME = 'voc';

/** The NATS nodes `role` runs (one on each server role, none on worker hosts). */
export function natsNodesOf(role: DeployRole): NatsNode[] {
  return NATS_NODES.filter((n) => n.owner === role);
}


/** A PostgreSQL node under Patroni: the database port and Patroni's REST API (its health checks). */
export interface PgNode {
  name: string;
  owner: ServerRole;
  port: number;
  apiPort: number;
}

export const PG_NODES: readonly PgNode[] = endpointsOf('pg-').map((e) => ({ name: e.name, owner: e.owner, port: e.port, apiPort: 8008 }));

/** Patroni's cluster name (its keys in etcd live under /service/<scope>/). */
export const PATRONI_SCOPE = 'voc';

/** An etcd member: clients on `port`, the other members on `peerPort`. */
export interface EtcdMember {
  name: string;
  owner: ServerRole;
  port: number;
  peerPort: number;
}

export const ETCD_MEMBERS: readonly EtcdMember[] = endpointsOf('etcd-').map((e) => ({ name: e.name, owner: e.owner, port: e.port, peerPort: e.port + 1 }));

export const REDIS_NODES: readonly Endpoint[] = endpointsOf('redis-');
export const SENTINELS: readonly Endpoint[] = endpointsOf('sentinel-');
export const GATEWAYS: readonly Endpoint[] = endpointsOf('gateway-');

/** The name under which the Sentinels know the Redis master (the path of REDIS_URL). */
export const REDIS_MASTER_NAME = 'voc';

/** Sentinels that must agree a master is down before one of them fails it over: a majority. */
export const SENTINEL_QUORUM = Math.floor(SENTINELS.length / 2) + 1;

/**
 * The local load balancer every application host runs: PostgreSQL's primary
 * (whichever node Patroni's /primary says) on `postgresPort`, a live NATS
 * node on `natsPort`, the gateways (server A and B) on `uploadsPort`, health
 * and statistics on `statsPort`.
 */
export const HAPROXY = { service: 'haproxy', postgresPort: 5000, natsPort: 4300, uploadsPort: 8000, statsPort: 8404 } as const;

/**
 * What every service puts in NATS_URL: the host's HAProxy, which forwards to
 * a live node of the three. A NATS client notices a dead server only when its
 * pings go unanswered (minutes by default): a host that dies without closing
 * its connections (power, network) would leave the services connected to its
 * node stalled. HAProxy checks the nodes every second and cuts the sessions
 * of one that stops answering, so the clients reconnect, through it, to a
 * live node within seconds.
 */
export const NATS_URL = `nats://${HAPROXY.service}:${HAPROXY.natsPort}`;

/** REDIS_URL of every service: the Sentinels name the master (see @voc/service-kit/redis-url). */
export function redisUrl(role: DeployRole): string {
  return `redis+sentinel://:${ref('REDIS_PASSWORD', role)}@${SENTINELS.map((s) => `${s.name}:${s.port}`).join(',')}/${REDIS_MASTER_NAME}`;
}

/** DATABASE_URL of every service: the primary, through the host's own HAProxy. */
export function databaseUrl(role: DeployRole): string {
  return `postgresql://${ref('POSTGRES_USER', role)}:${ref('POSTGRES_PASSWORD', role)}@${HAPROXY.service}:${HAPROXY.postgresPort}/${ref('POSTGRES_DB', role)}`;
}

/** The variable holding the private address of `owner` as seen from `role`. */
export function addressVariable(owner: ServerRole, role: DeployRole): string {
  if (owner === role) return 'PRIVATE_IP';
  return { 'server-a': 'SERVER_A_IP', 'server-b': 'SERVER_B_IP', witness: 'WITNESS_IP' }[owner];
}

/**
 * `extra_hosts` of `role`'s containers: every endpoint another host runs,
 * mapped to that host, and this host's endpoints whose compose service has
 * another name (gateway-a on A), mapped to its own private address.
 */
export function extraHosts(role: DeployRole): string[] {
  return ENDPOINTS.filter((e) => e.owner !== role || e.service !== undefined).map((e) => `${e.name}:${ref(addressVariable(e.owner, role), role)}`);
}

/**
 * Where a process on the `role` host itself (the doctor) reaches an endpoint:
 * the owner's private address (published ports bind to it), from `vars`.
 */
export function endpointAddress(name: string, role: DeployRole, vars: Readonly<Record<string, string | undefined>>): string | undefined {
  const e = endpoint(name);
  return vars[addressVariable(e.owner, role)] || undefined;
}
