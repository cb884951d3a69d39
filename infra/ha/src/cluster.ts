/**
 * The three hosts as the run drives them: a host's servers (supervised
 * processes), its apps, its one-shots; a host dying (cable pulled, every
 * process killed) and coming back (cable in, the floating address gone as
 * after a reboot, everything started again on the same data).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  dropExtraAddresses,
  HostServices,
  killAllIn,
  runOneShot,
  serviceProcess,
  spawnArgs,
  netnsPrefix,
  prepareDirs,
  reniceAllIn,
  setHostLink,
  SupervisedHost,
  writeHostsFile,
  writeShims,
} from '@voc/two-hosts/harness';
import type { HaDeployment, HostDeployment, ServerService } from './deployment';
import { HA_HOSTS, HA_TESTBED, type ServerHost } from './testbed';

type Log = (msg: string) => void;

/**
 * Niceness of a booting host's apps until it has caught up. On one machine
 * their start-up (a dozen Node processes compiling TypeScript) takes the CPU
 * the survivor's gateway needs; on real machines each has its own. Its
 * servers keep the normal priority (a starved Patroni cannot renew its etcd
 * session). A deviation the run prints.
 */
export const BOOT_NICE = 10;

export class HostRun {
  readonly servers: SupervisedHost;
  readonly apps: HostServices;
  private alive = false;

  constructor(
    readonly d: HostDeployment,
    private readonly root: string,
    private readonly runDir: string,
    private readonly pgBin: string,
    logDir: string,
    private readonly log: Log,
  ) {
    this.servers = new SupervisedHost(d.host, logDir, log);
    this.apps = new HostServices({ host: d.host, services: d.apps }, root, logDir, log);
  }

  get role(): ServerHost {
    return this.d.role;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  private layout(service: string) {
    const hostDir = path.join(this.runDir, this.d.role);
    return { composeDir: this.d.composeDir, serviceDir: path.join(hostDir, service), volumesDir: path.join(hostDir, 'volumes'), shimDir: path.join(this.runDir, 'shims') };
  }

  /** Starts one server (or a service of a profile, the restore drill) as compose would. */
  startServer(s: ServerService, extraEnv: Record<string, string> = {}): void {
    const p = serviceProcess(s.name, s.svc, this.d.vars, s.contract, this.layout(s.name), this.pgBin);
    this.servers.start({ ...p, env: { ...p.env, ...extraEnv } });
  }

  /** Starts the host's servers (those `pick` accepts: all by default), in the compose file's order. */
  startServers(pick: (name: string) => boolean = () => true): void {
    this.alive = true;
    writeShims(path.join(this.runDir, 'shims'));
    writeHostsFile(this.d.host, this.d.hostsFile);
    for (const s of this.d.servers) if (pick(s.name) && !this.servers.running(s.name)) this.startServer(s);
  }

  /**
   * Runs a service of a profile to completion (the restore drill: `docker
   * compose run --rm pg-restore`), with its output; killed after `timeoutMs`.
   */
  async runOnRequest(name: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
    const s = this.d.onRequest.find((x) => x.name === name);
    if (!s) throw new Error(`${this.d.role}: no service ${name} to run on request`);
    const p = serviceProcess(s.name, s.svc, this.d.vars, s.contract, this.layout(s.name), this.pgBin);
    prepareDirs(p);
    const [cmd, ...args] = spawnArgs(p, netnsPrefix(this.d.host));
    const child = spawn(cmd!, args, { cwd: p.cwd, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    return { code, output };
  }

  async runOneShots(): Promise<string[]> {
    const out: string[] = [];
    for (const shot of this.d.oneShots) out.push(`${shot.name}: ${(await runOneShot(this.root, shot)).split('\n')[0] ?? ''}`);
    return out;
  }

  async startApps(readyTimeoutMs: number): Promise<void> {
    await this.apps.start(readyTimeoutMs);
  }

  /**
   * The host dies without warning: its cable is pulled first (nothing it
   * sends or answers gets out, not even a TCP reset), then every process of
   * its namespace is killed.
   */
  kill(): number {
    this.alive = false;
    this.servers.down();
    setHostLink(HA_TESTBED, this.d.host, false);
    void this.apps.kill();
    return killAllIn(this.d.host.netns, this.log);
  }

  /** The machine boots again: cable in, no floating address left, its servers start on their data. */
  reboot(): string[] {
    const dropped = dropExtraAddresses(this.d.host);
    setHostLink(HA_TESTBED, this.d.host, true);
    this.startServers();
    // Its servers at the normal priority (a starved Patroni loses its etcd session); its apps, started next, lower.
    this.d.host.nice = BOOT_NICE;
    return dropped;
  }

  /** Caught up: its processes (and those it starts later) run at the normal priority again. */
  settled(): void {
    delete this.d.host.nice;
    reniceAllIn(this.d.host.netns, 0);
  }

  /** Stops everything in order: apps (they drain), then servers. */
  async stop(): Promise<void> {
    this.alive = false;
    await this.apps.stop().catch(() => undefined);
    await this.servers.stopAll();
  }
}

export class Cluster {
  readonly hosts: Record<ServerHost, HostRun>;

  constructor(dep: HaDeployment, root: string, runDir: string, pgBin: string, logDir: string, log: Log) {
    this.hosts = Object.fromEntries(
      Object.entries(dep.hosts).map(([role, d]) => [role, new HostRun(d, root, runDir, pgBin, logDir, log)]),
    ) as Record<ServerHost, HostRun>;
  }

  host(role: ServerHost): HostRun {
    return this.hosts[role];
  }

  /** The other server (A ↔ B). */
  static other(role: 'server-a' | 'server-b'): 'server-a' | 'server-b' {
    return role === 'server-a' ? 'server-b' : 'server-a';
  }

  address(role: ServerHost): string {
    return HA_HOSTS[role].address;
  }

  async stop(): Promise<void> {
    // Apps first on every host (they drain while the servers are up), then the servers.
    await Promise.all(Object.values(this.hosts).map((h) => h.apps.stop().catch(() => undefined)));
    for (const role of ['server-b', 'server-a', 'witness'] as const) await this.hosts[role].servers.stopAll();
  }
}
