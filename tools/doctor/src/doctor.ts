/**
 * Seed 002's node verification for a host of the deployment: its variables,
 * the configuration each of its services would start with, and the servers
 * and LLM endpoint it must reach.
 */
import { networkInterfaces } from 'node:os';
import type { DeployRole } from '@voc/config';
import { checkLlm } from './checks/llm';
import { checkNats } from './checks/nats';
import { checkPostgres } from './checks/postgres';
import { checkRedis } from './checks/redis';
import { checkServiceConfigs } from './checks/services';
import { checkVariables } from './checks/variables';
import { fail, ok, type CheckResult } from './report';
import { resolveTargets, withDefaults } from './targets';

export interface DoctorOptions {
  role: DeployRole;
  /** The host's variables: its .env merged with the process environment. */
  vars: Readonly<Record<string, string | undefined>>;
  /** Also send one tiny chat completion (proves the key where /models is public). */
  llmCall?: boolean;
  /** Per network operation (default 5000). */
  timeoutMs?: number;
  /** The host's addresses (default: this machine's interfaces). */
  localAddresses?: readonly string[];
}

export function localIpv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => a.address);
}

export async function runDoctor(o: DoctorOptions): Promise<CheckResult[]> {
  const timeoutMs = o.timeoutMs ?? 5000;
  const results: CheckResult[] = [
    ...checkVariables(o.role, o.vars, o.localAddresses ?? localIpv4Addresses()),
    ...checkServiceConfigs(o.role, o.vars),
  ];
  const t = resolveTargets(o.role, o.vars);
  const replicas = Number(withDefaults(o.role, o.vars).NATS_REPLICAS) || 1;
  const cannot = (check: string, why: string) => [fail(check, `cannot check: ${why}`)];
  const notHere = (check: string) => [ok(check, 'not used on this host (it runs no service)')];
  // Independent servers: checked at once, reported in a fixed order.
  const remote = await Promise.all([
    t.problems.nats ? cannot('nats', t.problems.nats) : checkNats(t.nats, replicas, timeoutMs),
    t.redisUrl ? checkRedis(t.redisUrl, timeoutMs) : cannot('redis', t.problems.redis ?? 'no URL'),
    t.skipped.includes('postgres') ? notHere('postgres') : t.databaseUrl ? checkPostgres(t.databaseUrl, timeoutMs) : cannot('postgres', t.problems.postgres ?? 'no URL'),
    t.skipped.includes('llm')
      ? notHere('llm models')
      : t.problems.llm
        ? cannot('llm models', t.problems.llm)
        : checkLlm(t.llm, { call: o.llmCall ?? false, timeoutMs }),
  ]);
  return [...results, ...remote.flat()];
}
