/**
 * Where the shared servers run and how every host reaches them.
 *
 * Every shared endpoint has one name and one port across the deployment
 * (postgres:5432, nats-a2:4223, …), so the services' environment is the same
 * on every host: on the host that runs the endpoint the name is its compose
 * service; on the others `extra_hosts` maps the name to the owner's private
 * address. A process-based harness does the same with /etc/hosts, and the
 * doctor (which runs on the host, outside the containers) resolves the names
 * to the addresses with `endpointAddress`.
 */
import type { DeployRole } from '@voc/config';
import { ref } from './variables';

/** The roles that host shared servers. */
export type ServerRole = 'server-a' | 'server-b';

export interface Endpoint {
  name: string;
  port: number;
  owner: ServerRole;
  what: string;
}

export const ENDPOINTS: readonly Endpoint[] = [
  { name: 'postgres', port: 5432, owner: 'server-a', what: 'PostgreSQL' },
  { name: 'redis', port: 6379, owner: 'server-a', what: 'Redis (limiter, label cache, sweeper lock)' },
  { name: 'nats-a1', port: 4222, owner: 'server-a', what: 'NATS node 1 of 3' },
  { name: 'nats-a2', port: 4223, owner: 'server-a', what: 'NATS node 2 of 3' },
  { name: 'nats-b1', port: 4222, owner: 'server-b', what: 'NATS node 3 of 3' },
  { name: 'prometheus', port: 9090, owner: 'server-a', what: 'Prometheus (remote-write receiver of the other hosts)' },
  { name: 'llm-sim', port: 8090, owner: 'server-a', what: 'LLM simulator (profile "sim" only)' },
];

export function endpoint(name: string): Endpoint {
  const e = ENDPOINTS.find((x) => x.name === name);
  if (!e) throw new Error(`infra: no endpoint ${name}`);
  return e;
}

/**
 * A NATS node of the JetStream cluster. Each listens on its own ports (client
 * p, cluster p + 2000, monitoring p + 4000) inside and outside its container,
 * so two nodes share server A and a harness can run them as plain processes.
 */
export interface NatsNode {
  name: string;
  owner: ServerRole;
  clientPort: number;
  clusterPort: number;
  monitorPort: number;
}

export const NATS_NODES: readonly NatsNode[] = ENDPOINTS.filter((e) => e.name.startsWith('nats-')).map((e) => ({
  name: e.name,
  owner: e.owner,
  clientPort: e.port,
  clusterPort: e.port + 2000,
  monitorPort: e.port + 4000,
}));

export const NATS_CLUSTER_NAME = 'voc';

/** What every service puts in NATS_URL: all nodes, so a client survives the loss of any one. */
export const NATS_URL = NATS_NODES.map((n) => `nats://${n.name}:${n.clientPort}`).join(',');

/** The variable holding the private address of `owner` as seen from `role`. */
export function addressVariable(owner: ServerRole, role: DeployRole): string {
  if (owner === role) return 'PRIVATE_IP';
  return owner === 'server-a' ? 'SERVER_A_IP' : 'SERVER_B_IP';
}

/** `extra_hosts` of `role`'s containers: every endpoint another host runs, mapped to that host. */
export function extraHosts(role: DeployRole): string[] {
  return ENDPOINTS.filter((e) => e.owner !== role).map((e) => `${e.name}:${ref(addressVariable(e.owner, role), role)}`);
}

/**
 * Where a process on the `role` host itself (the doctor) reaches an endpoint:
 * the owner's private address (published ports bind to it), from `vars`.
 */
export function endpointAddress(name: string, role: DeployRole, vars: Readonly<Record<string, string | undefined>>): string | undefined {
  const e = endpoint(name);
  return vars[addressVariable(e.owner, role)] || undefined;
}
