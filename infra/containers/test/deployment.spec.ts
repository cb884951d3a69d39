import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OFFICIAL_IMAGES } from '@voc/infra';
import { ComposeHost, hostEnvFile } from '../src/compose-host';
import { DEPLOYMENT_IMAGES, HOST_IMAGES, PROJECT_IMAGE, STAND_IN_VARIABLES, STAND_INS } from '../src/images';
import { HOST_IFACE, HOSTS, VIRTUAL_IP } from '../src/testbed';

const ROOT = path.resolve(__dirname, '../../..');

describe("the hosts' .env", () => {
  it.each(['server-a', 'server-b', 'witness'] as const)('%s: every required value filled, the test bed addresses, llm-sim, the stand-ins', (role) => {
    const vars = hostEnvFile(ROOT, HOSTS[role], STAND_IN_VARIABLES);
    expect(vars.PRIVATE_IP).toBe(HOSTS[role].address);
    expect([vars.SERVER_A_IP, vars.SERVER_B_IP, vars.WITNESS_IP]).toEqual([HOSTS['server-a'].address, HOSTS['server-b'].address, HOSTS.witness.address]);
    expect([vars.VIRTUAL_IP, vars.VRRP_INTERFACE]).toEqual([VIRTUAL_IP, HOST_IFACE]);
    expect(vars.LLM_BASE_URL).toBe('http://llm-sim:8090/v1');
    expect(vars.NATS_PASSWORD).toMatch(/^test/);
    expect(vars.REDIS_PASSWORD).toMatch(/^[A-Za-z0-9]+$/);
    expect(vars.NATS_IMAGE).toBe(STAND_INS.nats);
    for (const [k, v] of Object.entries(vars)) expect([k, v]).not.toEqual([k, '']);
  });
});

describe('the stand-ins', () => {
  it('replace every official image but the two the test does not run (Grafana, the NATS exporter)', () => {
    const replaced = Object.values(OFFICIAL_IMAGES).filter((o) => STAND_IN_VARIABLES[o.variable]).map((o) => o.variable);
    const missing = Object.values(OFFICIAL_IMAGES).map((o) => o.variable).filter((v) => !replaced.includes(v));
    expect(missing.sort()).toEqual(['GRAFANA_IMAGE', 'NATS_EXPORTER_IMAGE']);
  });

  it("build the deployment's own images (Patroni, keepalived) under the names the compose files default to", () => {
    for (const role of ['server-a', 'server-b'] as const) {
      const compose = readFileSync(path.join(ROOT, 'infra', role, 'compose.yml'), 'utf8');
      for (const img of Object.values(DEPLOYMENT_IMAGES)) expect(compose).toContain(`:-${img.tag}}`);
    }
  });

  it('never carry an official name', () => {
    for (const tag of Object.values(STAND_INS)) {
      expect(tag.startsWith('voc-ct/')).toBe(true);
      expect(Object.values(OFFICIAL_IMAGES).map((o) => o.image)).not.toContain(tag);
    }
  });

  it('ship to each host what its compose file runs: the witness runs no app', () => {
    expect(HOST_IMAGES['server-a']).toEqual(expect.arrayContaining([PROJECT_IMAGE, STAND_INS.redis, STAND_INS.nats, STAND_INS.etcd, STAND_INS.haproxy, DEPLOYMENT_IMAGES.patroni.tag]));
    expect([...HOST_IMAGES['server-b']].sort()).toEqual([...HOST_IMAGES['server-a']].sort());
    expect(HOST_IMAGES.witness).not.toContain(PROJECT_IMAGE);
    expect(HOST_IMAGES.witness).toEqual(expect.arrayContaining([STAND_INS.postgres, STAND_INS.redis, STAND_INS.nats, STAND_INS.etcd, STAND_INS.prometheus]));
  });
});

describe('the services `up` is given', () => {
  const host = (role: 'server-a' | 'witness') => new ComposeHost(HOSTS[role], { name: role, host: 'unix:///nowhere', config: '/nowhere' }, ROOT, '/dev/null', {}, () => undefined);

  it("are those of no profile and the profiles asked for: the witness's restore drill is not started", () => {
    expect(host('witness').services()).toEqual(expect.arrayContaining(['etcd-w', 'sentinel-w', 'nats-w1', 'pg-basebackup']));
    expect(host('witness').services()).not.toContain('pg-restore');
    expect(host('server-a').services()).not.toContain('llm-sim');
    expect(host('server-a').services(['sim'])).toContain('llm-sim');
  });
});
