/**
 * The compose file of each host role, assembled from the apps (libs/config's
 * SERVICES), the shared servers and the monitoring, plus each host's memory
 * budget (seed 000: A 16 GB, B 8 GB; a worker host like C: 8 GB).
 */
import type { DeployRole } from '@voc/config';
import { appServices } from './apps';
import { parseMemLimit, type ComposeFile, type ComposeService } from './compose-types';
import {
  grafanaService,
  natsExporterService,
  prometheusAgentService,
  prometheusService,
} from './monitoring';
import { migrateService, natsNodesOf, natsService, postgresService, redisService } from './servers';


/** Memory of the machine each role runs on (seed 000), in MiB. */
export const HOST_MEMORY_MB: Record<DeployRole, number> = { 'server-a': 16384, 'server-b': 8192, worker: 8192 };

/** What each host must keep for the kernel, Docker and page cache outside the containers' limits. */
export const MIN_HOST_RESERVE_MB = 1024;

function volumesOf(services: Record<string, ComposeService>): ComposeFile['volumes'] {
  const names = new Set<string>();
  for (const s of Object.values(services)) {
    for (const v of s.volumes ?? []) {
      const source = v.split(':')[0]!;
      if (!source.startsWith('.') && !source.startsWith('/')) names.add(source);
    }
  }
  return Object.fromEntries([...names].sort().map((n) => [n, {}]));
}

export function composeFile(role: DeployRole): ComposeFile {
  const services: Record<string, ComposeService> = {};
  if (role === 'server-a') {
    services.postgres = postgresService();
    services.redis = redisService();
  }
  for (const node of natsNodesOf(role)) services[node.name] = natsService(node);
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
