import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCompose } from '../src/compose';
import { activeServices, appOf, filledEnv, imageVariable, parseEnvFile, testValue } from '../src/deployment';
import { mapPaths, serviceProcess, spawnArgs, type ProcessLayout } from '../src/service-process';
import { netnsPrefix } from '../src/testbed';

const ROOT = path.resolve(__dirname, '../../..');

describe('a host .env', () => {
  it('parses an env file, skipping comments and unquoting values', () => {
    expect(parseEnvFile('# comment\n\nA=1\nB=\n# C=default\nD="quoted value"\n')).toEqual({ A: '1', B: '', D: 'quoted value' });
    expect(() => parseEnvFile('not a line')).toThrow('not a KEY=value line');
  });

  it('fills every empty value with a URL-safe test value', () => {
    const vars = filledEnv('PRIVATE_IP=\nPOSTGRES_PASSWORD=\nNATS_USER=\nLOG_LEVEL=debug\n');
    expect(vars).toMatchObject({ LOG_LEVEL: 'debug', NATS_USER: 'voc' });
    expect(vars.POSTGRES_PASSWORD).toBe(testValue('POSTGRES_PASSWORD'));
    expect(vars.POSTGRES_PASSWORD).toMatch(/^[a-z0-9]+$/);
  });
});

describe('a compose file', () => {
  const file = parseCompose(
    [
      'services:',
      '  nats-b1:',
      '    image: "${NATS_IMAGE:-nats:2.10-alpine}"',
      '  worker:',
      '    command: [node, apps/translate-svc/dist/main.js]',
      '  sim:',
      '    profiles: [sim]',
      '    command: [node, apps/llm-sim/dist/main.js]',
    ].join('\n'),
    'b.yml',
  );

  it('knows which app a service runs, and which image variable it names', () => {
    expect(appOf(file.services.worker!)).toBe('translate-svc');
    expect(appOf(file.services['nats-b1']!)).toBeUndefined();
    expect(appOf({ command: 'node libs/db/scripts/migrate.ts' })).toBeUndefined();
    expect(imageVariable(file.services['nats-b1']!)).toBe('NATS_IMAGE');
  });

  it('starts the services of no profile, and those of the profiles asked for', () => {
    expect(activeServices(file).map(([n]) => n)).toEqual(['nats-b1', 'worker']);
    expect(activeServices(file, ['sim']).map(([n]) => n)).toEqual(['nats-b1', 'worker', 'sim']);
  });
});

describe('a compose service as a process', () => {
  let run: string;
  beforeAll(() => (run = mkdtempSync(path.join(tmpdir(), 'voc-process-'))));
  afterAll(() => rmSync(run, { recursive: true, force: true }));

  const layout = (service: string): ProcessLayout => ({
    composeDir: path.join(ROOT, 'infra/server-a'),
    serviceDir: path.join(run, service),
    volumesDir: path.join(run, 'volumes'),
    shimDir: path.join(run, 'shims'),
  });

  it('replaces container paths where they stand as paths, longest first', () => {
    const mounts = [
      { container: '/data', host: '/run/x/data' },
      { container: '/var/lib/postgresql/data', host: '/run/x/pg' },
    ];
    expect(mapPaths('store_dir: "/data"\nd=/var/lib/postgresql/data/pgdata /database /data2 f=/data;', mounts)).toBe(
      'store_dir: "/run/x/data"\nd=/run/x/pg/pgdata /database /data2 f=/run/x/data;',
    );
  });

  it("runs a NATS node's config with its store in the node's volume (the image's entrypoint rule)", () => {
    const compose = parseCompose(readFileSync(path.join(ROOT, 'infra/server-a/compose.yml'), 'utf8'), 'server-a');
    const vars = { ...filledEnv(readFileSync(path.join(ROOT, 'infra/server-a/.env.example'), 'utf8')), PRIVATE_IP: '10.9.9.1', SERVER_B_IP: '10.9.9.2', WITNESS_IP: '10.9.9.3' };
    const p = serviceProcess('nats-a1', compose.services['nats-a1']!, vars, { entrypoint: (c) => (c[0]!.startsWith('-') ? ['nats-server', ...c] : c) }, layout('nats-a1'), '/usr/lib/postgresql/15/bin');
    expect(path.basename(p.command[0]!)).toBe('nats-server');
    const conf = p.command[2]!;
    expect(conf.startsWith(path.join(run, 'nats-a1', 'mounts'))).toBe(true);
    expect(readFileSync(conf, 'utf8')).toContain(`store_dir: "${path.join(run, 'volumes', 'nats-a1-data')}"`);
    expect(p.env.NATS_CLUSTER_ADVERTISE).toBe('10.9.9.1:6222');
    expect(p.dirs).toContain(path.join(run, 'volumes', 'nats-a1-data'));
    expect(spawnArgs(p, ['ip', 'netns', 'exec', 'x']).slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'x', p.command[0]]);
  });

  it("runs Patroni as the image's user, its data, socket and backup store in directories of the run", () => {
    const compose = parseCompose(readFileSync(path.join(ROOT, 'infra/server-a/compose.yml'), 'utf8'), 'server-a');
    const store = path.join(run, 'store');
    const vars = { ...filledEnv(readFileSync(path.join(ROOT, 'infra/server-a/.env.example'), 'utf8')), PRIVATE_IP: '10.9.9.1', SERVER_B_IP: '10.9.9.2', WITNESS_IP: '10.9.9.3', PG_BACKUP_DIR: store };
    const p = serviceProcess('pg-a', compose.services['pg-a']!, vars, { user: 'postgres', privatePaths: ['/var/run/postgresql'] }, layout('pg-a'), '/usr/lib/postgresql/15/bin');
    expect(p.user).toBe('postgres');
    const yml = readFileSync(p.command[1]!, 'utf8');
    expect(yml).toContain(`data_dir: ${path.join(run, 'volumes', 'pg-data')}/pgdata`);
    expect(yml).toContain(`d=${store}/wal;`);
    expect(yml).toContain(`unix_socket_directories: ${path.join(run, 'pg-a', 'private', '_var_run_postgresql')}`);
    expect(yml).toContain(`sh ${path.join(run, 'pg-a', 'mounts', '_etc_patroni')}/post-bootstrap.sh`);
    expect(p.env).toMatchObject({ PATRONI_NAME: 'pg-a', PATRONI_POSTGRESQL_CONNECT_ADDRESS: '10.9.9.1:5432' });
    expect(p.env.PATH!.split(':')[0]).toBe(path.join(run, 'shims'));
    expect(p.dirs).toEqual(expect.arrayContaining([store, path.join(run, 'volumes', 'pg-data')]));
  });
});

describe('a host namespace as a command prefix', () => {
  it('runs in the namespace, at the niceness the host has now', () => {
    const host: { netns: string; nice?: number } = { netns: 'voc-x' };
    expect(netnsPrefix(host)).toEqual(['ip', 'netns', 'exec', 'voc-x']);
    host.nice = 10;
    expect(netnsPrefix(host)).toEqual(['ip', 'netns', 'exec', 'voc-x', 'nice', '-n', '10']);
  });
});
