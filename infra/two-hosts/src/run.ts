/**
 * The two-host deployment on one machine, without Docker: as root,
 *
 *   node --import tsx infra/two-hosts/src/run.ts [driver options, see driver.ts]
 *
 * sets up two network namespaces standing in for server A and server B
 * (testbed.ts), runs the driver inside A's namespace (it starts the servers
 * and both hosts' services, uploads, kills B, brings it back and checks the
 * outcome), and always removes the namespaces and every process left in
 * them. Exits with the driver's code: 0 when every check passed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBinaries } from '@voc/local-stack';
import { HOSTS, netnsPrefix, setUpTestbed, tearDownTestbed } from './testbed';

const say = (msg: string) => process.stdout.write(`[two-hosts] ${msg}\n`);

/** One run at a time: a second one would tear down the first one's namespaces. */
const LOCK = '/run/lock/voc-two-hosts.pid';

function acquireLock(): boolean {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(LOCK, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(readFileSync(LOCK, 'utf8').trim());
    if (isAlive(holder)) {
      say(`another run (pid ${holder}) is using the test bed; wait for it or stop it`);
      return false;
    }
    rmSync(LOCK, { force: true }); // left by a run that died: take it over
  }
  return false;
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

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    say('needs root: it creates network namespaces (ip netns) and a veth pair');
    return 2;
  }
  // Installs missing servers with apt-get here, where the network is; the namespaces have none.
  ensureBinaries(say);
  if (!acquireLock()) return 3;

  let tornDown = false;
  const tearDown = () => {
    if (tornDown) return;
    tornDown = true;
    try {
      tearDownTestbed(say);
    } finally {
      rmSync(LOCK, { force: true });
    }
  };
  // Also on an unexpected exit of this process: teardown is synchronous.
  process.on('exit', tearDown);

  setUpTestbed(say);
  try {
    const [cmd, ...pre] = netnsPrefix(HOSTS['server-a']);
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
    const code = await new Promise<number>((resolve) =>
      driver.once('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))),
    );
    return code;
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
