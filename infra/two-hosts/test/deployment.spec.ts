import path from 'node:path';
import { parseCompose } from '../src/compose';
import { appOf, hostVariables, loadDeployment, natsConfigPorts, parseEnvFile, serviceEnv, testValue, withSimLatency } from '../src/deployment';
import { natsConfigFor } from '../src/infrastructure';
import { HOSTS } from '../src/testbed';

const A = HOSTS['server-a'];
const B = HOSTS['server-b'];

describe('host variables', () => {
  it('parses an env file, skipping comments and unquoting values', () => {
    expect(parseEnvFile('# comment\n\nA=1\nB=\n# C=default\nD="quoted value"\n')).toEqual({ A: '1', B: '', D: 'quoted value' });
    expect(() => parseEnvFile('not a line')).toThrow('not a KEY=value line');
  });

  it('fills every empty value with a URL-safe test value and sets the test bed addresses and the simulator', () => {
    const vars = hostVariables('PRIVATE_IP=\nSERVER_A_IP=\nPOSTGRES_PASSWORD=\nNATS_USER=\nLOG_LEVEL=debug\n', B);
    expect(vars).toMatchObject({ PRIVATE_IP: B.address, SERVER_A_IP: A.address, SERVER_B_IP: B.address, LOG_LEVEL: 'debug', NATS_USER: 'voc' });
    expect(vars.POSTGRES_PASSWORD).toBe(testValue('POSTGRES_PASSWORD'));
    expect(vars.POSTGRES_PASSWORD).toMatch(/^[a-z0-9]+$/);
    expect(vars.LLM_BASE_URL).toBe('http://llm-sim:8090/v1');
  });
});

describe('a service environment from a compose file', () => {
  const file = parseCompose(
    [
      'services:',
      '  nats-b1:',
      '    image: nats:2.10-alpine',
      '  worker:',
      '    command: [node, apps/translate-svc/dist/main.js]',
      '    environment:',
      '      NATS_URL: "nats://nats-a1:4222,nats://nats-b1:4222"',
      '      DATABASE_URL: "postgresql://voc:${POSTGRES_PASSWORD:?set it}@postgres:5432/voc"',
      '      CONCURRENCY: "40"',
      '    extra_hosts:',
      '      - "postgres:${SERVER_A_IP:?set it}"',
      '      - "nats-a1:${SERVER_A_IP:?set it}"',
    ].join('\n'),
    'b.yml',
  );

  it('resolves own services to the host and extra_hosts to the other host', () => {
    const env = serviceEnv(file, 'worker', { POSTGRES_PASSWORD: 'pw', SERVER_A_IP: A.address }, B);
    expect(env).toEqual({
      NATS_URL: `nats://${A.address}:4222,nats://${B.address}:4222`,
      DATABASE_URL: `postgresql://voc:pw@${A.address}:5432/voc`,
      CONCURRENCY: '40',
    });
  });

  it('fails naming the service and variable when a required variable is missing', () => {
    expect(() => serviceEnv(file, 'worker', { SERVER_A_IP: A.address }, B)).toThrow('server-b/worker DATABASE_URL: variable POSTGRES_PASSWORD is required: set it');
  });

  it('knows which app a service runs from its command', () => {
    expect(appOf(file.services.worker!)).toBe('translate-svc');
    expect(appOf(file.services['nats-b1']!)).toBeUndefined();
    expect(appOf({ command: 'node libs/db/scripts/migrate.ts' })).toBeUndefined();
    expect(appOf({ command: ['node', 'apps/not-an-app/dist/main.js'] })).toBeUndefined();
  });
});

describe('NATS configs', () => {
  const config = 'server_name: n1\nlisten: "0.0.0.0:4223"\nhttp: "0.0.0.0:8223"\njetstream {\n  store_dir: "/data"\n}\ncluster {\n  listen: "0.0.0.0:6223"\n}\n';

  it('reads the client and monitoring ports, not the cluster one', () => {
    expect(natsConfigPorts(config, 'n1.conf')).toEqual({ clientPort: 4223, monitorPort: 8223 });
    expect(() => natsConfigPorts('server_name: x\n', 'x.conf')).toThrow('x.conf: no client listen');
  });

  it("moves the JetStream store from the container's /data into the run's data dir", () => {
    const moved = natsConfigFor(config, '/tmp/run/n1/jetstream');
    expect(moved).toContain('  store_dir: "/tmp/run/n1/jetstream"');
    expect(moved).not.toContain('"/data"');
    expect(() => natsConfigFor('listen: 1\n', '/x')).toThrow('no store_dir');
  });
});

// The generated files of infra/ must give the run everything it needs, consistently.
describe('the deployment of infra/server-a and infra/server-b', () => {
  const dep = loadDeployment(path.resolve(__dirname, '../../..'));

  it("runs seed 000's services on each host (and llm-sim on A, the 'sim' profile)", () => {
    expect(dep.serverA.services.map((s) => s.app).sort()).toEqual(['gateway', 'ingest-svc', 'learning-svc', 'llm-sim', 'report-svc', 'translate-svc']);
    expect(dep.serverB.services.map((s) => s.app).sort()).toEqual(['insight-svc', 'learning-svc', 'theme-svc', 'translate-svc']);
    const concurrency = (plan: typeof dep.serverA, app: string) => plan.services.find((s) => s.app === app)!.env.CONCURRENCY;
    expect(concurrency(dep.serverA, 'translate-svc')).toBe('60');
    expect(concurrency(dep.serverB, 'translate-svc')).toBe('40');
    expect(concurrency(dep.serverA, 'learning-svc')).toBe('30');
    expect(concurrency(dep.serverB, 'learning-svc')).toBe('20');
  });

  it('has a three-node NATS cluster, two nodes on A, and R3 streams', () => {
    expect(dep.nats.map((n) => `${n.name}@${n.host.role}`)).toEqual(['nats-a1@server-a', 'nats-a2@server-a', 'nats-b1@server-b']);
    for (const s of [...dep.serverA.services, ...dep.serverB.services].filter((x) => x.app !== 'llm-sim')) {
      expect(s.env.NATS_REPLICAS).toBe('3');
      expect(s.env.NATS_URL!.split(',')).toHaveLength(3);
    }
  });

  it('points every service at A for PostgreSQL, Redis and the LLM, with one limit of 200', () => {
    for (const s of [...dep.serverA.services, ...dep.serverB.services].filter((x) => x.app !== 'llm-sim')) {
      expect(s.env.DATABASE_URL).toContain(`@${A.address}:${dep.postgres.port}/`);
      expect(s.env.REDIS_URL).toContain(`@${A.address}:${dep.redis.port}`);
      if (s.env.LLM_BASE_URL) expect(s.env.LLM_BASE_URL).toBe(`http://${A.address}:${dep.llm.port}/v1`);
    }
    expect(dep.maxApiRps).toBe(200);
    expect(dep.oneShots.map((o) => o.name)).toEqual(['migrate']);
  });

  it("sets llm-sim's latency only when asked, and records it as a deviation", () => {
    const sim = (d: typeof dep) => d.serverA.services.find((s) => s.app === 'llm-sim')!.env;
    expect(sim(dep).LLM_SIM_LATENCY_MS).toBeUndefined();
    const fast = withSimLatency(dep, 60);
    expect(sim(fast)).toMatchObject({ LLM_SIM_LATENCY_MS: '60', LLM_SIM_JITTER_MS: '20' });
    expect(fast.deviations.length).toBe(dep.deviations.length + 1);
  });
});
