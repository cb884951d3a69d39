/**
 * The shared servers: PostgreSQL and Redis on server A, the three NATS nodes
 * (two on A, one on B), and the one-shot migration that every service on A
 * waits for.
 */
import { servicesOn, serviceEnvironment, DEPLOY_ROLES, type DeployRole } from '@voc/config';
import { APP_IMAGE_REF } from './apps';
import { OFFICIAL_IMAGES } from './images';
import { LOGGING, mebibytes, type ComposeService } from './compose-types';
import { extraHosts, NATS_CLUSTER_NAME, NATS_NODES, type NatsNode } from './topology';
import { ref } from './variables';

/** The server images, each replaceable through its host variable (images.ts). */
export const IMAGES = {
  postgres: (role: DeployRole) => ref(OFFICIAL_IMAGES.postgres.variable, role),
  redis: (role: DeployRole) => ref(OFFICIAL_IMAGES.redis.variable, role),
  nats: (role: DeployRole) => ref(OFFICIAL_IMAGES.nats.variable, role),
} as const;

export const MEMORY_MB = {
  postgres: 5120, // seed 000
  redis: 2048, // seed 000
  nats: 512,
  migrate: 512,
} as const;

/** Redis may use this much for data; the rest of its 2 GB covers the AOF rewrite fork and buffers. */
export const REDIS_MAXMEMORY = '1536mb';

/** DB_POOL_SIZE summed over the services of a role (one instance each). */
export function poolConnections(role: DeployRole): number {
  return servicesOn(role).reduce((sum, n) => sum + Number(serviceEnvironment(n, role).DB_POOL_SIZE ?? 0), 0);
}

function postgresFlags(): [string, string][] {
  const [a, b, w] = DEPLOY_ROLES.map(poolConnections);
  const flags: [string, string][] = [
    [`shared_buffers=${ref('PG_SHARED_BUFFERS', 'server-a')}`, "Seed 001 gives 4GB of a 16 GB host; the container has 5 GB, so 25% of that."],
    [`effective_cache_size=${ref('PG_EFFECTIVE_CACHE_SIZE', 'server-a')}`, 'Planner hint (seed 001: 8GB): shared_buffers + the page cache the 5 GB container keeps.'],
    [
      `work_mem=${ref('PG_WORK_MEM', 'server-a')}`,
      'Per sort/hash of each connection (seed 001: 64MB); the fleet runs short bulk writes, reports sort a little.',
    ],
    ['maintenance_work_mem=512MB', 'Seed 001: faster VACUUM and index builds.'],
    [
      `max_connections=${ref('PG_MAX_CONNECTIONS', 'server-a')}`,
      `Seed 001: 500. The pools add up to ${a} on A, ${b} on B and ${w} per worker host;\n200 leaves room for scaled services and operators without 500 × work_mem of exposure.`,
    ],
    ['checkpoint_completion_target=0.9', 'Seed 001: spread checkpoint writes.'],
    ['wal_buffers=64MB', 'Seed 001.'],
    ['max_wal_size=2GB', 'Fewer forced checkpoints during bulk ingestion.'],
    ['random_page_cost=1.1', 'Seed 001: SSD storage.'],
  ];
  return flags;
}

export function postgresService(): ComposeService {
  const role = 'server-a';
  const flags = postgresFlags();
  const command = ['postgres'];
  const commandNotes: Record<number, string> = {};
  for (const [flag, why] of flags) {
    commandNotes[command.length] = why;
    command.push('-c', flag);
  }
  return {
    image: IMAGES.postgres(role),
    command,
    commandNotes,
    restart: 'unless-stopped',
    environment: {
      POSTGRES_USER: ref('POSTGRES_USER', role),
      POSTGRES_PASSWORD: ref('POSTGRES_PASSWORD', role),
      POSTGRES_DB: ref('POSTGRES_DB', role),
    },
    ports: [`${ref('PRIVATE_IP', role)}:5432:5432`],
    volumes: ['pg-data:/var/lib/postgresql/data'],
    healthcheck: {
      test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"'],
      interval: '10s',
      timeout: '5s',
      retries: 5,
      start_period: '30s',
    },
    mem_limit: mebibytes(MEMORY_MB.postgres),
    // Parallel queries use /dev/shm; Docker's default of 64 MB makes them fail.
    shm_size: '1g',
    // A fast shutdown ends with a checkpoint: give it time instead of a SIGKILL.
    stop_grace_period: '60s',
    logging: LOGGING,
    notes: {
      service: 'Seed 000: PostgreSQL 5 GB on server A. Tuning of seed 001, scaled to the container (see each flag).',
      ports: 'Private address only: server B and the worker hosts connect here.',
    },
  };
}

export function redisService(): ComposeService {
  const role = 'server-a';
  return {
    image: IMAGES.redis(role),
    command: [
      'sh',
      '-c',
      // The password stays in the environment, not in the container's command line. Through the
      // image's entrypoint: it runs redis-server as the `redis` user only when the command starts
      // with redis-server; a bare `exec redis-server` under `sh -c` would run it as root.
      `exec docker-entrypoint.sh redis-server --requirepass "$$REDIS_PASSWORD" --appendonly yes --appendfsync everysec --maxmemory ${REDIS_MAXMEMORY} --maxmemory-policy noeviction`,
    ],
    restart: 'unless-stopped',
    environment: { REDIS_PASSWORD: ref('REDIS_PASSWORD', role) },
    ports: [`${ref('PRIVATE_IP', role)}:6379:6379`],
    volumes: ['redis-data:/data'],
    healthcheck: {
      test: ['CMD-SHELL', 'REDISCLI_AUTH="$$REDIS_PASSWORD" redis-cli ping | grep -q PONG'],
      interval: '10s',
      timeout: '5s',
      retries: 5,
      start_period: '10s',
    },
    mem_limit: mebibytes(MEMORY_MB.redis),
    stop_grace_period: '30s',
    logging: LOGGING,
    notes: {
      service:
        'Seed 000: Redis 2 GB on server A, append-only (fsync every second).\n' +
        "noeviction, not seed 001's allkeys-lru: the limiter's grant window, pause and queue keys\n" +
        'must never be evicted. An evicted window lets the fleet exceed MAX_API_RPS; an evicted\n' +
        'pause ignores a provider 429. When full, Redis refuses writes: the limiter fails closed.',
    },
  };
}

export function migrateService(): ComposeService {
  const role = 'server-a';
  return {
    image: APP_IMAGE_REF(role),
    build: { context: '../..', dockerfile: 'Dockerfile', args: { NODE_IMAGE: ref(OFFICIAL_IMAGES.node.variable, role) } },
    command: ['node', '--import', 'tsx', 'libs/db/scripts/migrate.ts'],
    init: true,
    restart: 'no',
    environment: {
      DATABASE_URL: `postgresql://${ref('POSTGRES_USER', role)}:${ref('POSTGRES_PASSWORD', role)}@postgres:5432/${ref('POSTGRES_DB', role)}`,
    },
    depends_on: { postgres: { condition: 'service_healthy' } },
    healthcheck: { disable: true },
    mem_limit: mebibytes(MEMORY_MB.migrate),
    logging: LOGGING,
    notes: {
      service: 'One-shot: applies libs/db/prisma/migrations, then exits 0; every service on A waits for it.\nIt also builds the image (`docker compose build`).',
    },
  };
}

export function natsNodesOf(role: DeployRole): NatsNode[] {
  return NATS_NODES.filter((n) => n.owner === role);
}

/** The route URL one node uses to reach another (same name everywhere, see topology.ts). */
function routeUrl(to: NatsNode, role: DeployRole): string {
  return `nats-route://${ref('NATS_USER', role)}:${ref('NATS_PASSWORD', role)}@${to.name}:${to.clusterPort}`;
}

/** The config file of a node; credentials, routes and the advertised address come from its environment. */
export function natsConfig(node: NatsNode): string {
  const others = NATS_NODES.filter((n) => n !== node);
  return [
    '# Generated by infra/generate.ts: do not edit.',
    `# NATS node ${node.name} of the ${NATS_NODES.length}-node JetStream cluster "${NATS_CLUSTER_NAME}".`,
    '# $VARIABLES come from the container environment (see compose.yml).',
    `server_name: ${node.name}`,
    `listen: "0.0.0.0:${node.clientPort}"`,
    '# Monitoring (/healthz, /jsz): never published; the exporter and the healthcheck use it.',
    `http: "0.0.0.0:${node.monitorPort}"`,
    'authorization {',
    '  user: $NATS_USER',
    '  password: $NATS_PASSWORD',
    '}',
    'jetstream {',
    '  store_dir: "/data"',
    '  max_memory_store: 256MB',
    '  max_file_store: 20GB',
    '}',
    'cluster {',
    `  name: ${NATS_CLUSTER_NAME}`,
    `  listen: "0.0.0.0:${node.clusterPort}"`,
    "  # Other hosts reach this node at its host's private address, not at its container's.",
    '  advertise: $NATS_CLUSTER_ADVERTISE',
    '  # Clients use the servers listed in their NATS_URL, never container addresses.',
    '  no_advertise: true',
    '  authorization {',
    '    user: $NATS_USER',
    '    password: $NATS_PASSWORD',
    '  }',
    `  routes: [${others.map((_, i) => `$NATS_ROUTE_${i + 1}`).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

export function natsService(node: NatsNode): ComposeService {
  const role = node.owner;
  const others = NATS_NODES.filter((n) => n !== node);
  const routes: Record<string, string> = {};
  others.forEach((o, i) => (routes[`NATS_ROUTE_${i + 1}`] = routeUrl(o, role)));
  const ip = ref('PRIVATE_IP', role);
  return {
    image: IMAGES.nats(role),
    command: ['-c', `/etc/nats/${node.name}.conf`],
    restart: 'unless-stopped',
    environment: {
      NATS_USER: ref('NATS_USER', role),
      NATS_PASSWORD: ref('NATS_PASSWORD', role),
      NATS_CLUSTER_ADVERTISE: `${ip}:${node.clusterPort}`,
      ...routes,
    },
    ports: [`${ip}:${node.clientPort}:${node.clientPort}`, `${ip}:${node.clusterPort}:${node.clusterPort}`],
    extra_hosts: extraHosts(role),
    volumes: [`./nats/${node.name}.conf:/etc/nats/${node.name}.conf:ro`, `${node.name}-data:/data`],
    healthcheck: {
      // Healthy once JetStream is current with a meta leader (a majority of the nodes is up).
      test: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${node.monitorPort}/healthz`],
      interval: '10s',
      timeout: '5s',
      retries: 6,
      start_period: '30s',
    },
    mem_limit: mebibytes(MEMORY_MB.nats),
    stop_grace_period: '30s',
    logging: LOGGING,
    notes: {
      service: `NATS node ${node.name}: client ${node.clientPort}, cluster ${node.clusterPort}, monitoring ${node.monitorPort} (unpublished).`,
      ports: 'Private address only: clients and routes of the other hosts.',
    },
  };
}
