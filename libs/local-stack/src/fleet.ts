import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';
import { SERVICES, type ServiceName } from '@voc/config';

export interface RunningApp {
  name: ServiceName;
  pid: number;
  port: number;
  exited: Promise<number | null>;
  /** Sends a signal without waiting (SIGKILL simulates a crash). */
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export interface StartAppOptions {
  /** Where its /readyz answers (default: its port variable in `env`, else its SERVICES port). */
  port?: number;
  /** Runs the app under another command (e.g. `ip netns exec host-b`). */
  spawnPrefix?: string[];
  /** Lowers its CPU priority (its CPU class, `cpuClassOf(name).nice` of @voc/config; lowering needs no root). */
  nice?: number;
  /**
   * 'source' (default): apps/<name>/src/main.ts under tsx, always the current code.
   * 'bundle': apps/<name>/dist/main.js as the image runs it (the caller builds it first: `bundleApps`),
   * without tsx's compiler and source cache in the process (~60 MB less).
   */
  runtime?: AppRuntime;
  /** node/V8 flags before the entry point (`nodeFlagsOf(name)` of @voc/config, as the compose files run it). */
  nodeFlags?: readonly string[];
}

export type AppRuntime = 'source' | 'bundle';

/**
 * Builds apps/<name>/dist/main.js of each app in `names` from the current
 * sources (scripts/bundle-app.mjs, esbuild: under a second for all of them),
 * as the image build does. `inherit`: show esbuild's lines.
 */
export function bundleApps(root: string, names: readonly ServiceName[], opts: { inherit?: boolean } = {}): void {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle-app.mjs'), ...names], { stdio: opts.inherit ? 'inherit' : 'ignore' });
}

/** The node arguments that run app `name` of `root` in `runtime`. */
export function appEntryArgs(root: string, name: ServiceName, runtime: AppRuntime = 'source'): string[] {
  return runtime === 'bundle'
    ? [path.join(root, 'apps', name, 'dist', 'main.js')]
    : // `node --import tsx` runs TypeScript in this one process (no wrapper process to leak).
      ['--import', 'tsx', path.join(root, 'apps', name, 'src', 'main.ts')];
}

/**
 * Runs app `name` in its own node process (as `npm start`, the end-to-end
 * tests and the two-host run do), output appended to `logFile`.
 */
export function startApp(root: string, name: ServiceName, env: Record<string, string>, logFile: string, opts: StartAppOptions = {}): RunningApp {
  const log = createWriteStream(logFile, { flags: 'a' });
  const args = [...(opts.nodeFlags ?? []), ...appEntryArgs(root, name, opts.runtime)];
  const [cmd, ...pre] = opts.spawnPrefix?.length ? [...opts.spawnPrefix, process.execPath] : [process.execPath];
  const child = spawn(cmd!, [...pre, ...args], {
    cwd: root,
    env: { ...process.env, ...env, NODE_NAME: env.NODE_NAME ?? process.env.NODE_NAME ?? 'local' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Two sources, one file: neither may end it (the other would then write after its end, an
  // unhandled error in the caller); it ends once both are closed.
  // Set at once: the app spends its first seconds loading (compiling under tsx), long before it takes work.
  if (opts.nice && child.pid !== undefined) {
    try {
      setPriority(child.pid, opts.nice);
    } catch {
      // Exited already: `exited` reports it.
    }
  }
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  child.once('close', () => log.end());
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const def = SERVICES[name];
  return {
    name,
    pid: child.pid!,
    port: opts.port ?? Number(env[def.portVar] ?? def.port),
    exited,
    kill: (signal) => void child.kill(signal),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls /readyz until 200; fails with the app's exit code if it dies first. */
export async function waitReady(app: RunningApp, timeoutMs = 60_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: number | null | undefined;
  void app.exited.then((c) => (dead = c));
  while (Date.now() < deadline) {
    if (dead !== undefined) throw new Error(`${app.name} exited with code ${dead} before it was ready (see its log)`);
    try {
      const r = await fetch(`http://${host}:${app.port}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${app.name} not ready on port ${app.port} after ${timeoutMs} ms (see its log)`);
}
