/**
 * PostgreSQL under Patroni on A and B (seed 003's primary/standby pair, with
 * the failover automatic and fenced): each node holds a full copy, the
 * primary waits for the replica at every commit while it is up (synchronous
 * mode), and Patroni promotes the replica only while it holds the leader lock
 * in etcd (2 of 3 members: A, B, the witness), so two primaries cannot both
 * accept writes. The services reach the primary through their host's HAProxy
 * (haproxy.ts), which asks each node's REST API `GET /primary`.
 *
 * Both nodes also archive every WAL segment they write or receive
 * (archive_mode = always) into the backup store, the directory of the
 * witness's base backups (backups.ts).
 */
import type { DeployRole } from '@voc/config';
import { LOGGING, mebibytes, serverCpuShares, type ComposeService } from './compose-types';
import { OFFICIAL_IMAGES } from './images';
import { BACKUP_MOUNT, backupStoreVolume, REPLICATION_USER } from './backups';
import { ETCD_MEMBERS, extraHosts, PATRONI_SCOPE, PG_NODES, type PgNode } from './topology';
import { ref } from './variables';
import { commented, type YamlMap } from './yaml';

/** Inside the container (the official image's layout). */
export const PATRONI_PATHS = {
  config: '/etc/patroni',
  dataVolume: '/var/lib/postgresql/data',
  dataDir: '/var/lib/postgresql/data/pgdata',
  socketDir: '/var/run/postgresql',
  binDir: '/usr/lib/postgresql/15/bin',
} as const;

/** Seed 000 gave PostgreSQL 5 GB; 4 GB on each node leaves room on B for both roles (seed 003: 16 GB nodes). */
export const PG_MEMORY_MB = 4096;

/**
 * Leader lock timing: the primary renews its lock every `loop_wait` s; the
 * replica takes over when the lock has not been renewed for `ttl` s. Patroni
 * requires loop_wait + 2 × retry_timeout <= ttl.
 *
 * `retry_timeout` must outlast an etcd election (ETCD_TIMING: 2.5–5 s, more on
 * a loaded host): Patroni splits it over the etcd members as read timeouts and
 * a primary that gets no answer within it demotes itself. At 5 s, losing the
 * host of the etcd leader demoted the healthy primary on the other host, and
 * the cluster came back split across timelines (test:containers in CI, twice).
 * 10 s costs failover time: a dead primary's key expires after `ttl` 22 s.
 */
export const PATRONI_TIMING = { ttl: 22, loop_wait: 2, retry_timeout: 10 } as const;

/**
 * The archive command: each segment once into the store (copied under a name
 * of its own, then renamed, as both nodes may archive it at once); a second
 * copy must be the same bytes, else the command fails and PostgreSQL keeps
 * the segment and retries (an alert, never a silent overwrite).
 */
export const ARCHIVE_COMMAND = `d=${BACKUP_MOUNT}/wal; f=$d/%f; if [ -f "$f" ]; then cmp -s %p "$f"; else mkdir -p "$d" && cp %p "$f.$$.tmp" && mv "$f.$$.tmp" "$f"; fi`;

/** The tuning (seed 001, scaled to the 4 GB container) and replication settings every node runs with. */
function parameters(): YamlMap {
  return {
    max_connections: commented(
      'Seed 001: 500. The pools add up to ~80 per server and 16 per worker host; 200 leaves room\n' +
        'for scaled services and operators without 500 × work_mem of exposure. Same on every node (a replica needs >= the primary).',
      200,
    ),
    shared_buffers: commented("25% of the container's 4 GB (seed 001: 4GB of a whole 16 GB host).", '1024MB'),
    effective_cache_size: commented('Planner hint (seed 001: 8GB): shared_buffers + the page cache the container keeps.', '3GB'),
    work_mem: commented('Per sort/hash of each connection (seed 001: 64MB); short bulk writes, small report sorts.', '32MB'),
    maintenance_work_mem: commented('Seed 001: faster VACUUM and index builds.', '512MB'),
    checkpoint_completion_target: 0.9,
    wal_buffers: '64MB',
    max_wal_size: commented('Fewer forced checkpoints during bulk ingestion.', '2GB'),
    random_page_cost: commented('Seed 001: SSD storage.', 1.1),
    wal_level: 'replica',
    hot_standby: 'on',
    wal_log_hints: commented('pg_rewind needs it: a returning old primary is rewound onto the new timeline.', 'on'),
    max_wal_senders: 10,
    max_replication_slots: 10,
    wal_keep_size: commented('WAL kept for a replica that was away without its slot (1 GB of writes).', '1GB'),
    hot_standby_feedback: 'on',
    archive_mode: commented('Every node archives what it writes or receives, so the store has no gap when the primary dies before archiving.', 'always'),
    archive_command: ARCHIVE_COMMAND,
    archive_timeout: commented('A quiet primary still archives at least once a minute: the backups lag the database by at most this.', 60),
  };
}

/** patroni.yml, the same on A and B: the node's name, addresses and passwords come from its environment (PATRONI_*). */
export function patroniConfig(): YamlMap {
  return {
    scope: PATRONI_SCOPE,
    namespace: '/service/',
    restapi: commented('GET /primary, /replica, /health answer without a password (HAProxy, the harness); changes need PATRONI_API_PASSWORD.', {
      listen: `0.0.0.0:${PG_NODES[0]!.apiPort}`,
    }),
    etcd3: commented('PATRONI_ETCD3_HOSTS lists the three members.', { protocol: 'http' }),
    bootstrap: {
      dcs: commented(
        'Cluster-wide, stored in etcd at the first start; change them later with `patronictl edit-config`, not here.',
        {
          ...PATRONI_TIMING,
          maximum_lag_on_failover: commented('A replica further behind than this (bytes) is not promoted.', 1048576),
          synchronous_mode: commented(
            'Commits wait for the replica while it is up: an acknowledged commit is on both nodes, and Patroni\n' +
              'promotes only the synchronous replica. Alone, the primary goes on (synchronous_mode_strict is off):\n' +
              'while the replica is away, commits have one copy (plus the WAL archive, at most archive_timeout later).',
            true,
          ),
          postgresql: { use_pg_rewind: true, use_slots: true, parameters: parameters() },
        },
      ),
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
      post_bootstrap: commented('Creates POSTGRES_DB, once, on the node that initialises the cluster.', `sh ${PATRONI_PATHS.config}/post-bootstrap.sh`),
    },
    postgresql: {
      listen: `0.0.0.0:${PG_NODES[0]!.port}`,
      data_dir: PATRONI_PATHS.dataDir,
      bin_dir: PATRONI_PATHS.binDir,
      pgpass: `${PATRONI_PATHS.socketDir}/.pgpass`,
      basebackup: commented('A new or rebuilt replica copies the primary at once, not after a spread checkpoint (minutes).', [{ checkpoint: 'fast' }]),
      pg_hba: [
        'local all all trust',
        `host replication ${REPLICATION_USER} 0.0.0.0/0 scram-sha-256`,
        'host all all 0.0.0.0/0 scram-sha-256',
      ],
      parameters: { unix_socket_directories: PATRONI_PATHS.socketDir, password_encryption: 'scram-sha-256' },
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

/** Run once by Patroni after initdb on the first node, with the superuser's connection URL as $1. */
export function postBootstrapScript(): string {
  return [
    '#!/bin/sh',
    '# Generated by infra/generate.ts: do not edit.',
    '# Patroni runs this once, on the node that initialises the cluster; the replica gets the database',
    '# by streaming. $1 is the superuser connection URL; POSTGRES_DB comes from the container environment.',
    'set -eu',
    'psql -v ON_ERROR_STOP=1 -v db="$POSTGRES_DB" -d "$1" <<\'SQL\'',
    'CREATE DATABASE :"db";',
    'SQL',
    '',
  ].join('\n');
}

export function pgNodeOf(role: DeployRole): PgNode | undefined {
  return PG_NODES.find((n) => n.owner === role);
}

export function patroniService(node: PgNode): ComposeService {
  const role = node.owner as DeployRole;
  const ip = ref('PRIVATE_IP', role);
  return {
    image: ref('PATRONI_IMAGE', role),
    build: { context: '../docker', dockerfile: 'patroni.Dockerfile', args: { POSTGRES_IMAGE: ref(OFFICIAL_IMAGES.postgres.variable, role) } },
    command: ['patroni', `${PATRONI_PATHS.config}/patroni.yml`],
    restart: 'unless-stopped',
    environment: {
      PATRONI_NAME: node.name,
      PATRONI_RESTAPI_CONNECT_ADDRESS: `${ip}:${node.apiPort}`,
      PATRONI_POSTGRESQL_CONNECT_ADDRESS: `${ip}:${node.port}`,
      PATRONI_ETCD3_HOSTS: ETCD_MEMBERS.map((m) => `${m.name}:${m.port}`).join(','),
      PATRONI_SUPERUSER_USERNAME: ref('POSTGRES_USER', role),
      PATRONI_SUPERUSER_PASSWORD: ref('POSTGRES_PASSWORD', role),
      PATRONI_REPLICATION_USERNAME: REPLICATION_USER,
      PATRONI_REPLICATION_PASSWORD: ref('PG_REPLICATION_PASSWORD', role),
      PATRONI_RESTAPI_USERNAME: 'patroni',
      PATRONI_RESTAPI_PASSWORD: ref('PATRONI_API_PASSWORD', role),
      POSTGRES_DB: ref('POSTGRES_DB', role),
    },
    ports: [`${ip}:${node.port}:${node.port}`, `${ip}:${node.apiPort}:${node.apiPort}`],
    extra_hosts: extraHosts(role),
    volumes: [`./patroni:${PATRONI_PATHS.config}:ro`, `pg-data:${PATRONI_PATHS.dataVolume}`, backupStoreVolume(role)],
    healthcheck: {
      // Up as primary or replica; which one is Patroni's GET /primary (HAProxy asks it).
      test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-p', String(node.port)],
      interval: '10s',
      timeout: '5s',
      retries: 5,
      start_period: '60s',
    },
    mem_limit: mebibytes(PG_MEMORY_MB),
    cpu_shares: serverCpuShares('postgres'),
    // Parallel queries use /dev/shm; Docker's default of 64 MB makes them fail.
    shm_size: '1g',
    // Patroni stops PostgreSQL with a fast shutdown, which ends with a checkpoint: give it time.
    stop_grace_period: '60s',
    logging: LOGGING,
    notes: {
      service:
        `${node.name}: PostgreSQL 15 under Patroni (REST API :${node.apiPort}); primary or synchronous replica, as the leader lock in etcd says.\n` +
        'Tuning (seed 001, scaled to the container) and replication settings: patroni/patroni.yml.',
      ports: 'Private address only: the other node replicates from it, the HAProxies and the witness connect here.',
      volumes: `The backup store (PG_BACKUP_DIR, the witness's export): archive_command copies every WAL segment there.`,
    },
  };
}
