/**
 * A Docker engine of the run's own: dockerd with its data root, exec root,
 * socket, pid file, daemon config and key in the run's temporary directory,
 * its containers under a cgroup named after it, and optionally inside a
 * network namespace (nsenter --net switches only the network: dockerd needs
 * the machine's cgroup and mount views, which `ip netns exec` would replace).
 * Every docker and docker-compose command of the run names this engine's
 * socket: an engine the machine already runs is never used or touched.
 * dockerd 20.10 has no flag for its identity key: it creates
 * /etc/docker/key.json when absent; `machineFilesCreated` lets the run remove
 * what it added.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCommand, type CommandOptions } from './command';

export type Log = (msg: string) => void;

export interface EngineOptions {
  /** Names the engine in logs and its cgroup (`voc-ct-<name>`). */
  name: string;
  /** Its directory (created): data/, exec/, docker.sock, dockerd.log. */
  dir: string;
  /** Run inside this network namespace (`ip netns`), with its own iptables. */
  netns?: string;
  /**
   * Where compose networks take their subnets; undefined: no networking of
   * its own (no bridge, no iptables, ip_forward left alone), for an engine
   * that only builds with `--network host` in the machine's namespace.
   */
  addressPool?: string;
}

/** Files and directories dockerd creates outside its data root when they do not exist. */
const MACHINE_FILES = ['/etc/docker/key.json', '/etc/docker'];

/** The machine files that do not exist yet (call before the first engine starts; remove them after the last stops). */
export function machineFilesAbsent(): string[] {
  return MACHINE_FILES.filter((f) => !existsSync(f));
}

/** The cgroup (under every controller) that holds an engine's containers. */
export const cgroupOf = (name: string) => `voc-ct-${name}`;

export class Engine {
  readonly socket: string;
  private constructor(
    readonly opts: EngineOptions,
    private readonly proc: ChildProcess,
    private readonly exited: Promise<void>,
  ) {
    this.socket = path.join(opts.dir, 'docker.sock');
  }

  get name(): string {
    return this.opts.name;
  }

  /** DOCKER_HOST for the docker CLI and docker-compose. */
  get host(): string {
    return `unix://${this.socket}`;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The environment that points docker and docker-compose at this engine only. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env.HOME ?? '/root',
      DOCKER_HOST: this.host,
      // The CLI's own config (credential helpers, contexts) of the machine is not ours to use.
      DOCKER_CONFIG: path.join(this.opts.dir, 'cli'),
      ...extra,
    };
  }

  static async start(opts: EngineOptions, log: Log, timeoutMs = 60_000): Promise<Engine> {
    const d = opts.dir;
    for (const sub of ['data', 'exec', 'cli']) mkdirSync(path.join(d, sub), { recursive: true });
    // Its own (empty) daemon.json: the machine's /etc/docker/daemon.json must not change the run.
    writeFileSync(path.join(d, 'daemon.json'), '{}\n');
    const flags = [
      `--data-root=${d}/data`,
      `--exec-root=${d}/exec`,
      `--host=unix://${d}/docker.sock`,
      `--pidfile=${d}/docker.pid`,
      `--config-file=${d}/daemon.json`,
      `--cgroup-parent=/${cgroupOf(opts.name)}`,
      '--bridge=none',
      '--log-level=warn',
    ];
    if (opts.addressPool) flags.push(`--default-address-pool=base=${opts.addressPool},size=${opts.addressPool.split('/')[1]}`);
    else flags.push('--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false');
    const [cmd, args] = opts.netns ? ['nsenter', [`--net=/run/netns/${opts.netns}`, 'dockerd', ...flags]] : ['dockerd', flags];
    const logFd = openSync(path.join(d, 'dockerd.log'), 'a');
    const proc = spawn(cmd, args as string[], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const engine = new Engine(opts, proc, exited);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`dockerd ${opts.name} exited at start-up (code ${proc.exitCode}); see ${d}/dockerd.log`);
      const r = await engine.docker(['version', '--format', '{{.Server.Version}}'], { allowFailure: true, timeoutMs: 10_000 });
      if (r.code === 0) {
        log(`engine ${opts.name}: dockerd ${r.stdout.trim()} (pid ${proc.pid})${opts.netns ? ` in network namespace ${opts.netns}` : ''}, socket ${engine.socket}`);
        return engine;
      }
      if (Date.now() > deadline) {
        await engine.stop();
        throw new Error(`dockerd ${opts.name} did not answer within ${timeoutMs / 1000} s; see ${d}/dockerd.log`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** `docker <args>` against this engine. */
  docker(args: string[], opts: CommandOptions = {}) {
    return runCommand('docker', args, { ...opts, env: { ...this.env(), ...opts.env } });
  }

  /** SIGKILL now, without waiting (the synchronous teardown of a run that is exiting). */
  killNow(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  /**
   * SIGTERM (dockerd stops its containers, then containerd), SIGKILL after
   * `timeoutMs`. Leftovers of a kill (containers, mounts) are the teardown's.
   */
  async stop(timeoutMs = 45_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}
