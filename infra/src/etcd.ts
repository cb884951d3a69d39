/**
 * etcd on A, B and the witness: Patroni's distributed configuration store,
 * where the PostgreSQL leader lock lives. A lock needs a majority of the
 * three members, so the side of a network split that has only one of them
 * cannot promote a second primary, and losing any one host keeps the lock
 * working.
 */
import type { DeployRole } from '@voc/config';
import { LOGGING, mebibytes, type ComposeService } from './compose-types';
import { OFFICIAL_IMAGES } from './images';
import { addressVariable, ETCD_MEMBERS, type EtcdMember } from './topology';
import { ref } from './variables';

export const ETCD_MEMORY_MB = 256;

/** Inside the container. */
export const ETCD_DATA = '/etcd-data';

/**
 * Raft timing (ms): a member hears the leader every heartbeat, and starts an
 * election after `election` without one. The defaults (100 / 1000) assume an
 * idle machine; these ride out a busy one and still elect within seconds.
 */
export const ETCD_TIMING = { heartbeat: 250, election: 2500 } as const;

export function etcdMemberOf(role: DeployRole): EtcdMember | undefined {
  return ETCD_MEMBERS.find((m) => m.owner === role);
}

/** ETCD_INITIAL_CLUSTER as seen from `role`: every member's peer URL at its host's address. */
function initialCluster(role: DeployRole): string {
  return ETCD_MEMBERS.map((m) => `${m.name}=http://${ref(addressVariable(m.owner, role), role)}:${m.peerPort}`).join(',');
}

export function etcdService(member: EtcdMember): ComposeService {
  const role = member.owner as DeployRole;
  const ip = ref('PRIVATE_IP', role);
  return {
    image: ref(OFFICIAL_IMAGES.etcd.variable, role),
    command: ['/usr/local/bin/etcd'],
    restart: 'unless-stopped',
    // etcd reads its whole configuration from ETCD_* variables.
    environment: {
      ETCD_NAME: member.name,
      ETCD_DATA_DIR: ETCD_DATA,
      ETCD_LISTEN_CLIENT_URLS: `http://0.0.0.0:${member.port}`,
      ETCD_ADVERTISE_CLIENT_URLS: `http://${ip}:${member.port}`,
      ETCD_LISTEN_PEER_URLS: `http://0.0.0.0:${member.peerPort}`,
      ETCD_INITIAL_ADVERTISE_PEER_URLS: `http://${ip}:${member.peerPort}`,
      ETCD_INITIAL_CLUSTER: initialCluster(role),
      ETCD_INITIAL_CLUSTER_STATE: 'new',
      ETCD_INITIAL_CLUSTER_TOKEN: 'voc-etcd',
      ETCD_HEARTBEAT_INTERVAL: String(ETCD_TIMING.heartbeat),
      ETCD_ELECTION_TIMEOUT: String(ETCD_TIMING.election),
    },
    ports: [`${ip}:${member.port}:${member.port}`, `${ip}:${member.peerPort}:${member.peerPort}`],
    volumes: [`etcd-data:${ETCD_DATA}`],
    healthcheck: {
      // The official image has no shell: etcdctl directly. Healthy = the cluster has a leader.
      test: ['CMD', '/usr/local/bin/etcdctl', `--endpoints=http://127.0.0.1:${member.port}`, 'endpoint', 'health'],
      interval: '10s',
      timeout: '5s',
      retries: 5,
      start_period: '30s',
    },
    mem_limit: mebibytes(ETCD_MEMORY_MB),
    stop_grace_period: '30s',
    logging: LOGGING,
    notes: {
      service: `${member.name}: etcd member of ${ETCD_MEMBERS.length} (clients :${member.port}, peers :${member.peerPort}); holds Patroni's leader lock.`,
      ports: 'Private address only: Patroni on A and B, and the other members.',
    },
  };
}
