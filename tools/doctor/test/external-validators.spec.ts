/**
 * The generated files through the real tools, where this machine has them:
 * docker-compose parses and interpolates the compose files (no engine
 * needed), nats-server validates the node configs. Skipped when the tool is
 * missing (`apt-get install -y docker-compose nats-server`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEPLOY_ROLES, type DeployRole } from '@voc/config';
import { composeFile, interpolateEnvironment, NATS_NODES, OVERRIDES, sampleEnv, variablesOf } from '@voc/infra';

// Each docker-compose run is a Python start-up (~0.3 s, more on a loaded machine).
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const COMPOSE = has('docker-compose', ['version']);
const PYYAML = has('python3', ['-c', 'import yaml']);
const NATS_SERVER = has('nats-server', ['--version']);

let dir: string;
let emptyEnvFile: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'voc-infra-'));
  // An empty --env-file: a developer's infra/<role>/.env must not fill in what the test leaves out.
  emptyEnvFile = path.join(dir, 'empty.env');
  writeFileSync(emptyEnvFile, '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function compose(role: DeployRole, env: Record<string, string>, extra: string[] = []) {
  return spawnSync(
    'docker-compose',
    ['--env-file', emptyEnvFile, '-f', `infra/${role}/compose.yml`, ...extra, 'config'],
    { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } },
  );
}

(COMPOSE ? describe : describe.skip)('docker-compose config', () => {
  it.each(DEPLOY_ROLES)('accepts the %s file with a complete .env', (role) => {
    const r = compose(role, sampleEnv(role));
    expect([r.status, r.stderr.trim()]).toEqual([0, '']);
    expect(r.stdout).toContain('mem_limit');
  });

  it('accepts server A with the simulator profile', () => {
    const r = compose('server-a', sampleEnv('server-a'), ['--profile', 'sim']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('apps/llm-sim/dist/main.js');
  });

  it.each(DEPLOY_ROLES)('refuses the %s file while a required variable is missing, naming it', (role) => {
    for (const v of variablesOf(role).filter((x) => x.roles[role]!.default === undefined)) {
      const { [v.name]: _gone, ...env } = sampleEnv(role);
      const r = compose(role, env);
      expect([v.name, r.status]).toEqual([v.name, 1]);
      expect(r.stderr).toContain(v.name);
    }
  });

  it.each(OVERRIDES.flatMap((o) => o.roles.map((r) => [o.file, r] as const)))('accepts override %s on %s', (file, role) => {
    const r = compose(role, sampleEnv(role), ['-f', `infra/overrides/${file}`]);
    expect([r.status, r.stderr.replace(/.*deploy.*\n?/gi, '').trim()]).toEqual([0, '']);
  });

  (PYYAML ? it : it.skip).each(DEPLOY_ROLES)('keeps every key of %s that matters (limits, healthchecks, conditions, environment)', (role) => {
    const r = compose(role, sampleEnv(role));
    const parsed = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: r.stdout, encoding: 'utf8' });
    const normalized = JSON.parse(parsed.stdout) as { services: Record<string, Record<string, unknown>> };
    const model = composeFile(role);
    // `config` lists profile services too; `up` leaves them out.
    expect(Object.keys(normalized.services).sort()).toEqual(Object.keys(model.services).sort());
    for (const [name, s] of Object.entries(normalized.services)) {
      const m = model.services[name]!;
      expect([name, s.profiles]).toEqual([name, m.profiles]);
      expect([name, s.mem_limit]).toEqual([name, m.mem_limit]);
      expect([name, Boolean(s.healthcheck)]).toEqual([name, true]);
      expect([name, s.depends_on ?? {}]).toEqual([name, m.depends_on ?? {}]);
      // What compose hands the container is what the model computes from the same .env.
      expect([name, s.environment ?? {}]).toEqual([name, interpolateEnvironment(m.environment ?? {}, sampleEnv(role)).env]);
    }
  });
});

(NATS_SERVER ? describe : describe.skip)('nats-server -t', () => {
  it.each(NATS_NODES.map((n) => [n.name, n] as const))('accepts the config of %s with its compose environment, and refuses it without', (_n, node) => {
    const file = path.join(ROOT, 'infra', node.owner, 'nats', `${node.name}.conf`);
    const svcEnv = interpolateEnvironment(composeFile(node.owner).services[node.name]!.environment!, sampleEnv(node.owner)).env;
    const good = spawnSync('nats-server', ['-c', file, '-t'], { encoding: 'utf8', env: { PATH: process.env.PATH, ...svcEnv } });
    expect([good.status, good.stderr]).toEqual([0, expect.stringContaining('is valid')]);
    const { NATS_PASSWORD: _p, ...withoutPassword } = svcEnv;
    const bad = spawnSync('nats-server', ['-c', file, '-t'], { encoding: 'utf8', env: { PATH: process.env.PATH, ...withoutPassword } });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('NATS_PASSWORD');
  });
});
