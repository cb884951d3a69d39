/**
 * The run reads the real compose files: every service of A, B and the
 * witness becomes a process of its host (apps, servers through their image's
 * contract, one-shots), names resolve as Docker would, and the secrets that
 * must match across hosts do.
 */
import path from 'node:path';
import { ENDPOINTS } from '@voc/infra';
import { loadDeployment, IMAGE_CONTRACTS } from '../src/deployment';
import { HA_HOSTS, HA_VIRTUAL_IP } from '../src/testbed';

const ROOT = path.resolve(__dirname, '../../..');
const dep = loadDeployment(ROOT, '/tmp/voc-ha-test-store');

describe('the deployment as the run reads it from infra/', () => {
  it('runs every server of each host, the witness only votes and backups', () => {
    expect(dep.hosts['server-a'].servers.map((s) => s.name)).toEqual(['etcd-a', 'pg-a', 'redis-a', 'sentinel-a', 'nats-a1', 'haproxy', 'keepalived']);
    expect(dep.hosts['server-b'].servers.map((s) => s.name)).toEqual(['etcd-b', 'pg-b', 'redis-b', 'sentinel-b', 'nats-b1', 'haproxy', 'keepalived']);
    expect(dep.hosts.witness.servers.map((s) => s.name)).toEqual(['etcd-w', 'sentinel-w', 'nats-w1', 'pg-basebackup']);
    expect(dep.hosts.witness.onRequest.map((s) => s.name)).toEqual(['pg-restore']);
    expect(dep.hosts.witness.apps).toEqual([]);
    for (const h of Object.values(dep.hosts)) expect(h.notRun.sort()).toEqual(h.role === 'server-a' ? ['grafana', 'nats-exporter', 'prometheus'] : ['nats-exporter', 'prometheus-agent']);
  });

  it("runs both hosts' services, the migration once on A, and llm-sim outside the hosts", () => {
    expect(dep.hosts['server-a'].apps.map((s) => s.name)).toEqual(['gateway', 'ingest-svc', 'translate-svc', 'learning-svc', 'report-svc']);
    expect(dep.hosts['server-b'].apps.map((s) => s.name)).toEqual(['gateway', 'ingest-svc', 'translate-svc', 'learning-svc', 'insight-svc', 'theme-svc', 'report-svc']);
    expect(dep.hosts['server-a'].oneShots.map((s) => s.name)).toEqual(['migrate']);
    expect(dep.hosts['server-b'].oneShots).toEqual([]);
    expect(dep.llmSim.app).toBe('llm-sim');
  });

  it('resolves every endpoint name on every host to its owner, the gateways by their aliases, llm-sim to the client', () => {
    for (const h of Object.values(dep.hosts)) {
      for (const e of ENDPOINTS.filter((x) => x.name !== 'llm-sim')) expect([h.role, e.name, h.hostsFile[e.name]]).toEqual([h.role, e.name, HA_HOSTS[e.owner].address]);
      expect(h.hostsFile['llm-sim']).toBe(HA_HOSTS.client.address);
    }
    expect(dep.hosts['server-a'].hostsFile.haproxy).toBe(HA_HOSTS['server-a'].address);
  });

  it('gives every host the same secrets, the test bed addresses, and one backup store', () => {
    const [a, b, w] = [dep.hosts['server-a'].vars, dep.hosts['server-b'].vars, dep.hosts.witness.vars];
    for (const k of ['REDIS_PASSWORD', 'NATS_PASSWORD', 'PG_REPLICATION_PASSWORD']) expect(new Set([a[k], b[k], w[k]]).size).toBe(1);
    expect(a.POSTGRES_PASSWORD).toBe(b.POSTGRES_PASSWORD);
    expect([a.PRIVATE_IP, b.PRIVATE_IP, w.PRIVATE_IP]).toEqual([HA_HOSTS['server-a'].address, HA_HOSTS['server-b'].address, HA_HOSTS.witness.address]);
    expect(new Set([a.PG_BACKUP_DIR, b.PG_BACKUP_DIR, w.PG_BACKUP_DIR])).toEqual(new Set(['/tmp/voc-ha-test-store']));
    expect(a.VIRTUAL_IP).toBe(HA_VIRTUAL_IP);
    expect(dep.gateway.url).toBe(`http://${HA_VIRTUAL_IP}:8000`);
    expect(dep.maxApiRps).toBe(200);
    expect(dep.accountLimit).toBe(250);
  });

  it('knows what every image of a server does (entrypoint, user, working directory)', () => {
    expect(IMAGE_CONTRACTS.NATS_IMAGE!.entrypoint!(['-c', 'x.conf'])).toEqual(['nats-server', '-c', 'x.conf']);
    expect(IMAGE_CONTRACTS.HAPROXY_IMAGE!.entrypoint!(['haproxy', '-f', 'h.cfg'])).toEqual(['haproxy', '-W', '-db', '-f', 'h.cfg']);
    expect(IMAGE_CONTRACTS.PATRONI_IMAGE!.user).toBe('postgres');
    expect(IMAGE_CONTRACTS.REDIS_IMAGE!.workdir).toBe('/data');
  });
});
