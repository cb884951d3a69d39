/**
 * test:ha on one machine, without Docker: as root,
 *
 *   node --import tsx infra/ha/src/run.ts [driver options, see driver.ts]
 *
 * sets up the test bed (testbed.ts: A, B, the witness and a client as
 * network namespaces on a bridge), runs the driver inside the client's
 * namespace, and always removes the namespaces, their hosts files and every
 * process left in them. Exits with the driver's code: 0 when every check
 * passed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBinaries } from '@voc/local-stack';
import { netnsPrefix, setUpTestbed, tearDownTestbed } from '@voc/two-hosts/harness';
import { HA_HOSTS, HA_LOCK, HA_TESTBED } from './testbed';

const say = (msg: string) => process.stdout.write(`[ha] ${msg}\n`);

/** The programs of the servers the compose files run, and their Debian packages (scripts/bootstrap.sh installs them). */
const PROGRAMS: [program: string, pkg: string][] = [
  ['patroni', 'patroni'],
  ['etcd', 'etcd-server'],
  ['etcdctl', 'etcd-client'],
  ['haproxy', 'haproxy'],
  ['keepalived', 'keepalived'],
  ['curl', 'curl'],
  ['setpriv', 'util-linux'],
];

function missingPrograms(): string[] {
  return PROGRAMS.filter(([p]) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0).map(([, pkg]) => pkg);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One run at a time: a second one would tear down the first one's namespaces. */
function acquireLock(): boolean {
  mkdirSync(path.dirname(HA_LOCK), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(HA_LOCK, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(readFileSync(HA_LOCK, 'utf8').trim());
    if (isAlive(holder)) {
      say(`another run (pid ${holder}) is using the test bed; wait for it or stop it`);
      return false;
    }
    rmSync(HA_LOCK, { force: true }); // left by a run that died: take it over
  }
  return false;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    say('needs root: it creates network namespaces, a bridge and hosts files under /etc/netns');
    return 2;
  }
  ensureBinaries(say);
  const missing = missingPrograms();
  if (missing.length) {
    say(`missing ${missing.join(', ')}: run VOC_HA_TOOLS=1 bash scripts/bootstrap.sh (npm run test:ha does)`);
    return 2;
  }
  if (!acquireLock()) return 3;

  let tornDown = false;
  const tearDown = () => {
    if (tornDown) return;
    tornDown = true;
    try {
      tearDownTestbed(HA_TESTBED, say);
    } finally {
      rmSync(HA_LOCK, { force: true });
    }
  };
  // Also on an unexpected exit of this process: teardown is synchronous.
  process.on('exit', tearDown);

  setUpTestbed(HA_TESTBED, say);
  try {
    const [cmd, ...pre] = netnsPrefix(HA_HOSTS.client);
    const driver = spawn(cmd!, [...pre, process.execPath, '--import', 'tsx', path.join(__dirname, 'driver.ts'), ...process.argv.slice(2)], {
      stdio: 'inherit',
      cwd: path.resolve(__dirname, '../../..'),
    });
    let signals = 0;
    const forward = (sig: NodeJS.Signals) => {
      // First signal: let the driver stop everything in order; second: kill it (teardown does the rest).
      driver.kill(++signals === 1 ? 'SIGTERM' : 'SIGKILL');
      say(`${sig}: ${signals === 1 ? 'stopping the run' : 'killing the run'}`);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    return await new Promise<number>((resolve) => driver.once('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
  } finally {
    tearDown();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
