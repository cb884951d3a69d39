/**
 * Where the doctor, running on the host itself, reaches the shared servers:
 * the URLs the services use (from infra's compose templates), with each
 * endpoint name (postgres, nats-a2, …) replaced by its owner's private
 * address. NATS_URL, REDIS_URL and DATABASE_URL in the environment replace
 * the derived URLs (a tunnel, a test stack).
 */
import type { DeployRole } from '@voc/config';
import {
  addressVariable,
  endpoint,
  endpointAddress,
  ENDPOINTS,
  interpolate,
  NATS_NODES,
  ref,
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

/** `url` with its host replaced by the address of the endpoint it names, when it names one. */
function toHostAddress(url: string, role: DeployRole, vars: Readonly<Record<string, string | undefined>>): string {
  const u = new URL(url);
  if (!ENDPOINTS.some((e) => e.name === u.hostname)) return url;
  const addr = endpointAddress(u.hostname, role, vars);
  if (!addr) {
    const owner = endpoint(u.hostname).owner;
    throw new Error(`${addressVariable(owner, role)} unset (${u.hostname} runs on ${owner})`);
  }
  u.hostname = addr;
  return u.toString();
}

function derive(template: string, role: DeployRole, vars: Readonly<Record<string, string | undefined>>): string {
  const { value, missing } = interpolate(template, vars);
  if (missing.length) throw new Error(`${missing.map((m) => m.variable).join(', ')} unset`);
  return toHostAddress(value, role, vars);
}

export function resolveTargets(role: DeployRole, given: Readonly<Record<string, string | undefined>>): Targets {
  const vars = withDefaults(role, given);
  const problems: Targets['problems'] = {};
  const t: Targets = {
    nats: { servers: [], user: vars.NATS_USER || undefined, password: vars.NATS_PASSWORD || undefined },
    llm: { baseUrl: vars.LLM_BASE_URL ?? '', apiKey: vars.LLM_API_KEY || undefined, model: vars.LLM_MODEL ?? '' },
    problems,
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
    t.redisUrl = vars.REDIS_URL || derive(`redis://:${ref('REDIS_PASSWORD', role)}@redis:6379`, role, vars);
  } catch (err) {
    problems.redis = (err as Error).message;
  }
  try {
    t.databaseUrl =
      vars.DATABASE_URL ||
      derive(`postgresql://${ref('POSTGRES_USER', role)}:${ref('POSTGRES_PASSWORD', role)}@postgres:5432/${ref('POSTGRES_DB', role)}`, role, vars);
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
