import path from 'node:path';
import { OFFICIAL_IMAGES } from '@voc/infra';
import { hostEnvFile } from '../src/compose-host';
import { HOST_IMAGES, PROJECT_IMAGE, STAND_IN_VARIABLES, STAND_INS } from '../src/images';
import { HOSTS } from '../src/testbed';

const ROOT = path.resolve(__dirname, '../../..');

describe("the hosts' .env", () => {
  it.each(['server-a', 'server-b'] as const)('%s: every required value filled, the test bed addresses, llm-sim, the stand-ins', (role) => {
    const vars = hostEnvFile(ROOT, HOSTS[role], STAND_IN_VARIABLES);
    expect(vars.PRIVATE_IP).toBe(HOSTS[role].address);
    expect([vars.SERVER_A_IP, vars.SERVER_B_IP]).toEqual([HOSTS['server-a'].address, HOSTS['server-b'].address]);
    expect(vars.LLM_BASE_URL).toBe('http://llm-sim:8090/v1');
    expect(vars.NATS_PASSWORD).toMatch(/^test/);
    expect(vars.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9]+$/);
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

  it('never carry an official name', () => {
    for (const tag of Object.values(STAND_INS)) {
      expect(tag.startsWith('voc-ct/')).toBe(true);
      expect(Object.values(OFFICIAL_IMAGES).map((o) => o.image)).not.toContain(tag);
    }
  });

  it("ship to each host what its compose file runs: B has no PostgreSQL or Redis", () => {
    expect(HOST_IMAGES['server-a']).toEqual(expect.arrayContaining([PROJECT_IMAGE, STAND_INS.postgres, STAND_INS.redis, STAND_INS.nats, STAND_INS.prometheus]));
    expect(HOST_IMAGES['server-b'].sort()).toEqual([PROJECT_IMAGE, STAND_INS.nats, STAND_INS.prometheus].sort());
  });
});
