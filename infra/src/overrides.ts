/**
 * Example override files (infra/overrides/): changes an operator layers on a
 * host's base compose file with a second `-f`, without editing it. Compose
 * merges them: mappings (environment) key by key, scalars (mem_limit)
 * replaced. `applyOverride` does the same for the subset used here, so the
 * tests can check the merged result.
 */
import type { DeployRole, ServiceName } from '@voc/config';
import { heapLimitMb } from './apps';
import { mebibytes, type ComposeFile, type ComposeService } from './compose-types';
import type { YamlMap } from './yaml';

export interface OverrideService {
  environment?: Record<string, string>;
  mem_limit?: string;
  deploy?: { replicas: number };
}

export interface Override {
  /** File name under infra/overrides/. */
  file: string;
  /** What it shows, for the file header and the README. */
  description: string;
  /** The host roles whose compose file it fits. */
  roles: DeployRole[];
  services: Partial<Record<ServiceName, OverrideService>>;
}

const TRANSLATE_REPLICAS = 3;
const TRANSLATE_REPLICA_MB = 768;

export const OVERRIDES: readonly Override[] = [
  {
    file: 'translate-x3.yml',
    description:
      `Three translate-svc containers instead of one (the same as \`--scale translate-svc=${TRANSLATE_REPLICAS}\`).\n` +
      `Each gets ${TRANSLATE_REPLICA_MB} MB and CONCURRENCY 30 so the host's memory budget still holds;\n` +
      'they share the TRANSLATE durable, and the global limiter keeps the fleet under MAX_API_RPS.\n' +
      "On server A (B's 8 GB has no room for two more). Compose v2 honours deploy.replicas;\n" +
      'docker-compose 1.29 needs --compatibility (or --scale translate-svc=3).',
    roles: ['server-a'],
    services: {
      'translate-svc': {
        deploy: { replicas: TRANSLATE_REPLICAS },
        mem_limit: mebibytes(TRANSLATE_REPLICA_MB),
        environment: { CONCURRENCY: '30', NODE_OPTIONS: `--max-old-space-size=${heapLimitMb(TRANSLATE_REPLICA_MB)}` },
      },
    },
  },
  {
    file: 'translate-concurrency.yml',
    description: 'Another CONCURRENCY for one service: translate-svc holds 80 messages at once instead of 60 (A) or 40 (B).',
    roles: ['server-a', 'server-b'],
    services: { 'translate-svc': { environment: { CONCURRENCY: '80' } } },
  },
  {
    file: 'qwen3-max-workers.yml',
    description:
      "Seed 000's qwen3-max settings (smaller PARALLEL_SIZE) for the hosts that run insight and theme.\n" +
      'Set LLM_MODEL=qwen3-max and MAX_API_RPS=8 in the .env of every host too.',
    roles: ['server-b', 'worker'],
    services: {
      'insight-svc': { environment: { INSIGHT_PARALLEL_SIZE: '10' } },
      'theme-svc': { environment: { THEME_PARALLEL_SIZE: '15' } },
    },
  },
];

export function overrideDocument(o: Override): YamlMap {
  const services: YamlMap = {};
  for (const [name, s] of Object.entries(o.services)) {
    const out: YamlMap = {};
    if (s.deploy) out.deploy = { replicas: s.deploy.replicas };
    if (s.mem_limit) out.mem_limit = s.mem_limit;
    if (s.environment) out.environment = { ...s.environment };
    services[name] = out;
  }
  return { services };
}

/** The compose file with `o` merged in (compose's rules for the keys overrides use). */
export function applyOverride(base: ComposeFile, o: Override): ComposeFile & { replicas: Record<string, number> } {
  const services: Record<string, ComposeService> = { ...base.services };
  const replicas: Record<string, number> = {};
  for (const [name, s] of Object.entries(o.services)) {
    const b = services[name];
    if (!b) throw new Error(`override ${o.file}: the base file has no service ${name}`);
    services[name] = {
      ...b,
      ...(s.mem_limit ? { mem_limit: s.mem_limit } : {}),
      environment: { ...b.environment, ...s.environment },
    };
    if (s.deploy) replicas[name] = s.deploy.replicas;
  }
  return { services, volumes: base.volumes, replicas };
}

