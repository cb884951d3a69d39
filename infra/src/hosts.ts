/**
 * The compose file of each host role, assembled from the apps (libs/config's
 * SERVICES), the shared servers and the monitoring, plus each host's memory
 * budget (seed 003: A and B 16 GB each; the witness 4 GB; a worker host like
 * C: 8 GB, seed 000).
 */
import type { DeployRole } from '@voc/config';
import { appServices } from './apps';
import { baseBackupService, restoreService } from './backups';
import { parseMemLimit, type ComposeFile, type ComposeService } from './compose-types';
import { etcdMemberOf, etcdService } from './etcd';
import { haproxyService } from './haproxy';
import { holdsFloatingAddress, keepalivedService } from './keepalived';
import { grafanaService, natsExporterService, prometheusAgentService, prometheusService } from './monitoring';
import { patroniService, pgNodeOf } from './patroni';
import { redisNodeOf, redisService, sentinelOf, sentinelService } from './redis';
import { migrateService, natsService } from './servers';
import { HAPROXY, natsNodesOf } from './topology';

/** Memory of the machine each role runs on, in MiB: seed 003's 16 GB nodes for A and B. */
export const HOST_MEMORY_MB: Record<DeployRole, number> = { 'server-a': 16384, 'server-b': 16384, witness: 4096, worker: 8192 };

/** What each host must keep for the kernel, Docker and page cache outside the containers' limits. */
export const MIN_HOST_RESERVE_MB = 1024;

function volumesOf(services: Record<string, ComposeService>): ComposeFile['volumes'] {
  const names = new Set<string>();
  for (const s of Object.values(services)) {
    for (const v of s.volumes ?? []) {
      const source = v.split(':')[0]!;
      // ./relative and /absolute are host paths, ${VAR…} a host path from the .env.
      if (!/^[./$]/.test(source)) names.add(source);
    }
  }
  return Object.fromEntries([...names].sort().map((n) => [n, {}]));
}

/** The servers of a role: state (PostgreSQL, Redis, NATS), quorum votes (etcd, Sentinel), the load balancer, backups. */
function serverServices(role: DeployRole): Record<string, ComposeService> {
  const services: Record<string, ComposeService> = {};
  const etcd = etcdMemberOf(role);
  if (etcd) services[etcd.name] = etcdService(etcd);
  const pg = pgNodeOf(role);
  if (pg) services[pg.name] = patroniService(pg);
  const redis = redisNodeOf(role);
  if (redis) services[redis.name] = redisService(redis);
  const sentinel = sentinelOf(role);
  if (sentinel) services[sentinel.name] = sentinelService(sentinel);
  for (const node of natsNodesOf(role)) services[node.name] = natsService(node);
  if (role !== 'witness') services[HAPROXY.service] = haproxyService(role);
  if (holdsFloatingAddress(role)) services.keepalived = keepalivedService(role);
  if (role === 'witness') {
    services['pg-basebackup'] = baseBackupService();
    services['pg-restore'] = restoreService();
  }
  return services;
}

export function composeFile(role: DeployRole): ComposeFile {
  const services = serverServices(role);
  if (role === 'server-a') services.migrate = migrateService();
  Object.assign(services, appServices(role));
  if (natsNodesOf(role).length) services['nats-exporter'] = natsExporterService(role);
  if (role === 'server-a') {
    services.prometheus = prometheusService();
    services.grafana = grafanaService();
  } else {
    services['prometheus-agent'] = prometheusAgentService(role);
  }
  return { services, volumes: volumesOf(services) };
}

export interface MemoryBudget {
  role: DeployRole;
  hostMb: number;
  /** Long-running containers started by a plain `up` (no profiles, no one-shots). */
  limitsMb: number;
  reserveMb: number;
  byService: Record<string, number>;
}

export function memoryBudget(role: DeployRole): MemoryBudget {
  const byService: Record<string, number> = {};
  for (const [name, s] of Object.entries(composeFile(role).services)) {
    if (s.profiles?.length || s.restart === 'no') continue;
    byService[name] = parseMemLimit(s.mem_limit);
  }
  const limitsMb = Object.values(byService).reduce((a, b) => a + b, 0);
  return { role, hostMb: HOST_MEMORY_MB[role], limitsMb, reserveMb: HOST_MEMORY_MB[role] - limitsMb, byService };
}
