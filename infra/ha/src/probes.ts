/**
 * What an operator would look at, asked from the client namespace over the
 * test network: Patroni's REST API (who is primary, who is the synchronous
 * replica, how far behind), PostgreSQL itself, the Sentinels and the Redis
 * servers, the NATS nodes' monitoring port, HAProxy's health port, and which
 * host holds the floating address. Every probe is bounded in time and
 * answers "no" rather than throwing when its target is down.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { HAPROXY, NATS_NODES, PG_NODES, REDIS_MASTER_NAME, SENTINELS } from '@voc/infra';
import { hostAddresses } from '@voc/two-hosts/harness';
import { HA_HOSTS, HA_VIRTUAL_IP, type ServerHost } from './testbed';

const TIMEOUT_MS = 1500;

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

const addressOf = (role: ServerHost) => HA_HOSTS[role].address;
const pgNodeOf = (role: ServerHost) => PG_NODES.find((n) => n.owner === role);
const natsNodeOf = (role: ServerHost) => NATS_NODES.find((n) => n.owner === role)!;

export interface PatroniMember {
  name: string;
  role: string;
  state: string;
  timeline?: number;
  lag?: number | 'unknown';
}

/** Patroni's view of the cluster, from the first of `roles` whose API answers. */
export async function patroniMembers(roles: readonly ServerHost[]): Promise<PatroniMember[] | undefined> {
  for (const role of roles) {
    const node = pgNodeOf(role);
    if (!node) continue;
    const c = await getJson<{ members: PatroniMember[] }>(`http://${addressOf(role)}:${node.apiPort}/cluster`);
    if (c) return c.members;
  }
  return undefined;
}

/** Whether `role`'s Patroni says its PostgreSQL is the primary (GET /primary, as HAProxy asks). */
export async function isPrimary(role: ServerHost): Promise<boolean> {
  const node = pgNodeOf(role);
  return node ? (await status(`http://${addressOf(role)}:${node.apiPort}/primary`)) === 200 : false;
}

export interface PgCredentials {
  user: string;
  password: string;
  database: string;
}

/** A connection string to `role`'s PostgreSQL itself. */
export function pgUrl(role: ServerHost, c: PgCredentials): string {
  return `postgresql://${c.user}:${encodeURIComponent(c.password)}@${addressOf(role)}:${pgNodeOf(role)!.port}/${c.database}`;
}

/** One query on a fresh connection; undefined when it fails or takes too long. */
export async function queryOnce<T = Record<string, unknown>>(url: string, sql: string, timeoutMs = 3000): Promise<T[] | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: 'ha-probe' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql)).rows as T[];
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The role whose PostgreSQL is the primary now, if any. */
export async function primaryHost(): Promise<'server-a' | 'server-b' | undefined> {
  for (const role of ['server-a', 'server-b'] as const) if (await isPrimary(role)) return role;
  return undefined;
}

/** Whether a transaction commits through `role`'s HAProxy (what the services' DATABASE_URL reaches). */
export async function writesThroughHaproxy(role: ServerHost, c: PgCredentials): Promise<boolean> {
  const url = `postgresql://${c.user}:${encodeURIComponent(c.password)}@${addressOf(role)}:${HAPROXY.postgresPort}/${c.database}`;
  // txid_current() assigns a transaction id: only a primary can.
  return (await queryOnce(url, 'SELECT txid_current()', 2000)) !== undefined;
}

async function withRedis<T>(address: string, port: number, password: string, f: (r: Redis) => Promise<T>): Promise<T | undefined> {
  const r = new Redis({ host: address, port, password, lazyConnect: true, connectTimeout: TIMEOUT_MS, commandTimeout: TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await f(r);
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

/** The master the Sentinel on `role` names. */
export async function sentinelMaster(role: ServerHost, password: string): Promise<string | undefined> {
  const s = SENTINELS.find((x) => x.owner === role)!;
  const answer = await withRedis(addressOf(role), s.port, password, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', REDIS_MASTER_NAME) as Promise<string[] | null>);
  return answer?.[0];
}

export interface RedisReplication {
  role: string;
  linkUp: boolean;
  offset: number;
}

/** INFO replication of `role`'s Redis. */
export async function redisReplication(role: ServerHost, password: string): Promise<RedisReplication | undefined> {
  const info = await withRedis(addressOf(role), 6379, password, (r) => r.info('replication'));
  if (!info) return undefined;
  const field = (k: string) => new RegExp(`^${k}:(\\S+)`, 'm').exec(info)?.[1];
  const role_ = field('role') ?? '?';
  return {
    role: role_,
    linkUp: role_ === 'master' || field('master_link_status') === 'up',
    offset: Number(field(role_ === 'master' ? 'master_repl_offset' : 'slave_repl_offset') ?? 0),
  };
}

export interface NatsState {
  /** /healthz: JetStream is current on this node. */
  healthy: boolean;
  metaLeader?: string;
  /** Stream → its leader node. */
  streamLeaders: Record<string, string>;
}

/** `role`'s NATS node: health, the meta leader and every stream's leader as it sees them. */
export async function natsState(role: ServerHost): Promise<NatsState | undefined> {
  const n = natsNodeOf(role);
  const base = `http://${addressOf(role)}:${n.monitorPort}`;
  const jsz = await getJson<{
    meta_cluster?: { leader?: string };
    account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[];
  }>(`${base}/jsz?accounts=true&streams=true`);
  if (!jsz) return undefined;
  const streamLeaders: Record<string, string> = {};
  for (const acc of jsz.account_details ?? []) for (const s of acc.stream_detail ?? []) streamLeaders[s.name] = s.cluster?.leader ?? '';
  return { healthy: (await status(`${base}/healthz`)) === 200, metaLeader: jsz.meta_cluster?.leader || undefined, streamLeaders };
}

/** The names of the client connections of `role`'s NATS node ("gateway@server-b", …). */
export async function natsClients(role: ServerHost): Promise<string[]> {
  const n = natsNodeOf(role);
  const connz = await getJson<{ connections?: { name?: string }[] }>(`http://${addressOf(role)}:${n.monitorPort}/connz?limit=1024`);
  return (connz?.connections ?? []).map((c) => c.name ?? '').filter(Boolean);
}

/** HAProxy's health port on `role`: /ready/uploads or /ready/postgres. */
export async function haproxyReady(role: ServerHost, what: 'uploads' | 'postgres'): Promise<boolean> {
  return (await status(`http://${addressOf(role)}:${HAPROXY.statsPort}/ready/${what}`)) === 200;
}

/** Which of A and B has the floating address on its interface now (both: a split brain). */
export function vipHolders(): ('server-a' | 'server-b')[] {
  return (['server-a', 'server-b'] as const).filter((r) => {
    try {
      return hostAddresses(HA_HOSTS[r]).includes(HA_VIRTUAL_IP);
    } catch {
      return false;
    }
  });
}

/** The NATS node name of a host. */
export const natsNodeName = (role: ServerHost): string => natsNodeOf(role).name;
