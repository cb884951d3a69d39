/**
 * Where the doctor, running on the host itself, reaches the shared servers:
 * the URLs the services use (from infra's compose templates), with each
 * endpoint name (sentinel-a, nats-b1, …) replaced by its owner's private
 * address, and the host's HAProxy (the PostgreSQL primary) at its port on
 * the host's loopback. NATS_URL, REDIS_URL and DATABASE_URL in the
 * environment replace the derived URLs (a tunnel, a test stack). A host that
 * runs no service (the witness) has no PostgreSQL or LLM to check.
 */
import { servicesOn, type DeployRole } from '@voc/config';
import {
  addressVariable,
  databaseUrl,
  endpoint,
  endpointAddress,
  ENDPOINTS,
  HAPROXY,
  interpolate,
  NATS_NODES,
  redisUrl,
  variablesOf,
} from '@voc/infra';

export interface NatsServerTarget {
  /** Node name when derived, else the URL. */
  label: string;
  url: string;
}

export interface Targets {
  nats: { servers: NatsServerTarget[]; user?: string; password?: string };
  redisUrl?: string;
  databaseUrl?: string;
  llm: { baseUrl: string; apiKey?: string; model: string };
  /** What could not be derived, per target ('nats', 'redis', 'postgres', 'llm'). */
  problems: Partial<Record<'nats' | 'redis' | 'postgres' | 'llm', string>>;
  /** What this host does not use, so is not checked (the witness runs no service). */
  skipped: ('postgres' | 'llm')[];
}

/** The host's variables with compose's defaults filled in for the unset ones. */
export function withDefaults(role: DeployRole, vars: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...vars };
  for (const v of variablesOf(role)) {
    const def = v.roles[role]!.default;
    if ((out[v.name] === undefined || out[v.name] === '') && def !== undefined) out[v.name] = def;
  }
  return out;
}

/** Where `name` is reached from the host: an endpoint at its owner's address, the host's HAProxy at loopback. */
function hostAddress(name: string, role: DeployRole, vars: Readonly<Record<string, string | undefined>>): string | undefined {
  if (name === HAPROXY.service) return '127.0.0.1';
  if (!ENDPOINTS.some((e) => e.name === name)) return undefined;
  const addr = endpointAddress(name, role, vars);
  if (!addr) {
    const owner = endpoint(name).owner;
    throw new Error(`${addressVariable(owner, role)} unset (${name} runs on ${owner})`);
  }
  return addr;
}

/** `url` with every host it names (one, or a comma-separated list as in redis+sentinel://) at the address the host reaches it on. */
function toHostAddress(url: string, role: DeployRole, vars: Readonly<Record<string, string | undefined>>): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)([^/?#]*)(.*)$/.exec(url);
  if (!m) return url;
  const hosts = m[2]!.split(',').map((hp) => {
    const colon = hp.lastIndexOf(':');
    const [name, port] = colon < 0 ? [hp, ''] : [hp.slice(0, colon), hp.slice(colon)];
    return `${hostAddress(name, role, vars) ?? name}${port}`;
  });
  return `${m[1]}${hosts.join(',')}${m[3]}`;
}

function derive(template: string, role: DeployRole, vars: Readonly<Record<string, string | undefined>>): string {
  const { value, missing } = interpolate(template, vars);
  if (missing.length) throw new Error(`${missing.map((m) => m.variable).join(', ')} unset`);
  return toHostAddress(value, role, vars);
}

export function resolveTargets(role: DeployRole, given: Readonly<Record<string, string | undefined>>): Targets {
  const vars = withDefaults(role, given);
  const problems: Targets['problems'] = {};
  const runsServices = servicesOn(role).length > 0;
  const t: Targets = {
    nats: { servers: [], user: vars.NATS_USER || undefined, password: vars.NATS_PASSWORD || undefined },
    llm: { baseUrl: vars.LLM_BASE_URL ?? '', apiKey: vars.LLM_API_KEY || undefined, model: vars.LLM_MODEL ?? '' },
    problems,
    skipped: runsServices ? [] : ['postgres', 'llm'],
  };

  if (vars.NATS_URL) {
    t.nats.servers = vars.NATS_URL.split(',').map((u) => u.trim()).filter(Boolean).map((url) => ({ label: url, url }));
  } else {
    for (const node of NATS_NODES) {
      const addr = endpointAddress(node.name, role, vars);
      if (addr) t.nats.servers.push({ label: node.name, url: `nats://${addr}:${node.clientPort}` });
      else problems.nats = `${addressVariable(node.owner, role)} unset (the address of ${node.owner})`;
    }
  }

  try {
    t.redisUrl = vars.REDIS_URL || derive(redisUrl(role), role, vars);
  } catch (err) {
    problems.redis = (err as Error).message;
  }
  if (!runsServices) return t;
  try {
    t.databaseUrl = vars.DATABASE_URL || derive(databaseUrl(role), role, vars);
  } catch (err) {
    problems.postgres = (err as Error).message;
  }
  try {
    // http://llm-sim:8090/v1 (the simulator on A) becomes A's address; a provider URL stays as it is.
    t.llm.baseUrl = toHostAddress(t.llm.baseUrl, role, vars);
    if (!t.llm.apiKey) problems.llm = 'LLM_API_KEY unset';
  } catch (err) {
    problems.llm = (err as Error).message;
  }
  return t;
}
