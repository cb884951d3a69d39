/**
 * `npm run test:containers`: the container sets for real, on one machine,
 * as root:
 *
 *  1. a build engine (dockerd of the run's own, machine's namespace, no
 *     networking of its own) makes every image without a registry
 *     (images.ts), the project image from the real Dockerfile;
 *  2. three network namespaces stand in for server A, server B and the
 *     witness, each with its own engine (testbed.ts); the images are loaded
 *     into each;
 *  3. driver.ts runs in A's namespace: compose up, uploads, B killed and
 *     back, scaling, checks, the tables;
 *  4. everything is torn down, also on failure or Ctrl-C: the compose sets,
 *     the engines, leftover processes, cgroups and mounts, the namespaces,
 *     the run directory.
 *
 * Options: --products N (5), --max-reviews N (300), --outage-s N (20),
 * --timeout-s N (300), --keep (keep the run directory: logs, .env files).
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { intOption } from '@voc/two-hosts/harness';
import { hostEnvFile, type EngineRef } from './compose-host';
import type { DriverContext, DriverOptions } from './driver';
import { Engine, machineFilesAbsent } from './engine';
import { buildImages, POSTGRES_UID, shipImages, STAND_IN_VARIABLES } from './images';
import { preflight } from './preflight';
import { HOSTS, RUN_DIR_PREFIX, setUpTestbed, tearDownTestbed, type HostRole } from './testbed';

const ROOT = path.resolve(__dirname, '../../..');
const t0 = Date.now();
const say = (msg: string) => process.stdout.write(`[containers ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);

/** One run at a time: a second would tear down the first one's namespaces and engines. */
const LOCK = '/run/lock/voc-containers.pid';

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
    let alive = false;
    try {
      process.kill(holder, 0);
      alive = true;
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (alive && holder > 0) {
      say(`another run (pid ${holder}) is using the test bed; wait for it or stop it`);
      return false;
    }
    rmSync(LOCK, { force: true });
  }
  return false;
}

function readOptions(): DriverOptions & { keep: boolean } {
  const { values } = parseArgs({
    options: {
      products: { type: 'string' },
      'max-reviews': { type: 'string' },
      'outage-s': { type: 'string' },
      'timeout-s': { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  const int = intOption;
  return {
    products: int('products', values.products, 5, 2),
    maxReviews: int('max-reviews', values['max-reviews'], 300, 1),
    outageS: int('outage-s', values['outage-s'], 20, 1),
    timeoutS: int('timeout-s', values['timeout-s'], 300, 10),
    keep: values.keep ?? false,
  };
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    say('needs root: it runs Docker engines and creates network namespaces');
    return 2;
  }
  const opts = readOptions();
  preflight(say);
  if (!acquireLock()) return 3;
  // A crashed earlier run's namespaces, engines, containers and directories.
  tearDownTestbed(say, { staleDirs: true });

  const createdByDockerd = machineFilesAbsent();
  const runDir = mkdtempSync(RUN_DIR_PREFIX);
  chmodSync(runDir, 0o755);
  const engines: Engine[] = [];
  let ok = false;
  let tornDown = false;
  const tearDown = () => {
    if (tornDown) return;
    tornDown = true;
    try {
      // Engines still running here belong to a run that is exiting abruptly (a signal, an error).
      for (const e of engines) e.killNow();
      tearDownTestbed(say, { runDir: ok && !opts.keep ? runDir : undefined });
      // What dockerd added to /etc (its key), when it was not there before the run.
      for (const f of createdByDockerd) rmSync(f, { recursive: true, force: true });
    } finally {
      rmSync(LOCK, { force: true });
    }
  };
  // Synchronous: also when this process exits unexpectedly.
  process.on('exit', tearDown);
  let driver: ReturnType<typeof spawn> | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    say(`${sig}: ${++signals === 1 ? 'stopping the run' : 'killing the run'}`);
    if (driver && driver.exitCode === null) driver.kill(signals === 1 ? 'SIGTERM' : 'SIGKILL');
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // 1. Images, in an engine of the machine's namespace (the registries are reachable there).
    const builder = await Engine.start({ name: 'build', dir: path.join(runDir, 'build') }, say);
    engines.push(builder);
    const built = await buildImages(builder, ROOT, runDir, say);

    // 2. The three hosts, each its namespace and engine; the images shipped to each.
    setUpTestbed(say);
    const roles = Object.keys(HOSTS) as HostRole[];
    const hostEngines = await Promise.all(
      roles.map((role) => Engine.start({ name: role, dir: path.join(runDir, role), netns: HOSTS[role].netns, addressPool: HOSTS[role].addressPool }, say)),
    );
    engines.push(...hostEngines);
    const byRole = Object.fromEntries(roles.map((r, i) => [r, hostEngines[i]!])) as Record<HostRole, Engine>;
    const shipS = await shipImages(builder, byRole, runDir, say);
    // The builder's job is done: its memory and CPU go to the hosts.
    await builder.stop();

    // The backup store: one directory of this machine for the three hosts (production: the
    // witness's, exported to A and B over NFS), owned by the images' postgres user (uid 999).
    const backupStore = path.join(runDir, 'backup-store');
    mkdirSync(backupStore, { recursive: true });
    chownSync(backupStore, POSTGRES_UID, POSTGRES_UID);

    // 3. The driver in A's namespace.
    const ref = (e: Engine) => ({ name: e.name, host: e.host, config: path.join(e.opts.dir, 'cli') });
    const ctx: DriverContext = {
      root: ROOT,
      runDir,
      startedAt: t0,
      engines: Object.fromEntries(roles.map((r) => [r, ref(byRole[r])])) as Record<HostRole, EngineRef>,
      vars: Object.fromEntries(roles.map((r) => [r, hostEnvFile(ROOT, HOSTS[r], { ...STAND_IN_VARIABLES, PG_BACKUP_DIR: backupStore })])) as Record<HostRole, Record<string, string>>,
      images: Object.entries(built.sizes).map(([name, bytes]) => ({ name, bytes })),
      buildTimings: built.timings,
      shipS,
      options: { products: opts.products, maxReviews: opts.maxReviews, outageS: opts.outageS, timeoutS: opts.timeoutS },
    };
    const ctxFile = path.join(runDir, 'driver-context.json');
    writeFileSync(ctxFile, JSON.stringify(ctx, null, 2), { mode: 0o600 });
    driver = spawn('ip', ['netns', 'exec', HOSTS['server-a'].netns, process.execPath, '--import', 'tsx', path.join(__dirname, 'driver.ts'), ctxFile], {
      stdio: 'inherit',
      cwd: ROOT,
    });
    const code = await new Promise<number>((resolve) => driver!.once('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
    ok = code === 0;
    return code;
  } catch (err) {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    say('stopping the engines');
    await Promise.all(engines.map((e) => e.stop().catch((err: unknown) => say(`stopping engine ${e.name}: ${(err as Error).message}`))));
    if (!ok || opts.keep) say(`run directory kept: ${runDir} (engine logs, .env files)`);
    tearDown();
    say(ok ? 'PASS: every check passed' : 'FAIL: see above');
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
