/**
 * The test bed: three network namespaces standing in for server A, server B
 * and the witness, each plugged into one bridge (in a namespace of its own,
 * `voc-ct-net`) on 10.231.13.0/26, each with a Docker engine of its own (its
 * own iptables, its compose networks drawn from its own /26 of
 * 10.231.13.0/24; the witness's from a /27 of the last one). Inside a host
 * its bridge port is `eth0`, keepalived's VRRP interface (VRRP_INTERFACE's
 * default). Nothing is routed anywhere else: every container and every
 * process of the run reaches only its namespace and the host addresses. The
 * image builds happen before, in an engine in the machine's namespace that
 * has no networking of its own (`--network host` builds).
 *
 * Teardown removes everything a run (or a crashed earlier run) left: the
 * processes in the namespaces and in the engines' cgroups, the mounts under
 * the run directories, the namespaces (and with them their interfaces), the
 * directories.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pidsIn, type TestHost } from '@voc/two-hosts/harness';
import { cgroupOf, type Log } from './engine';

export type HostRole = 'server-a' | 'server-b' | 'witness';

export interface ContainerHost extends Pick<TestHost, 'netns' | 'address'> {
  role: HostRole;
  /** Its port's name on the bridge, in the bridge's namespace (≤ 15 characters, the kernel's limit). */
  port: string;
  /** The subnet pool of its engine's compose networks. */
  addressPool: string;
}

export const SUBNET_PREFIX = 26;

/** The interface of a host on the bridge, as its compose files expect it (VRRP_INTERFACE). */
export const HOST_IFACE = 'eth0';

export const HOSTS: Record<HostRole, ContainerHost> = {
  'server-a': { role: 'server-a', netns: 'voc-ct-a', address: '10.231.13.1', port: 'voc-ct-a', addressPool: '10.231.13.64/26' },
  'server-b': { role: 'server-b', netns: 'voc-ct-b', address: '10.231.13.2', port: 'voc-ct-b', addressPool: '10.231.13.128/26' },
  witness: { role: 'witness', netns: 'voc-ct-w', address: '10.231.13.3', port: 'voc-ct-w', addressPool: '10.231.13.192/27' },
};

/** The floating address of A and B (keepalived), on the bridge's subnet. */
export const VIRTUAL_IP = '10.231.13.50';

/** The namespace holding the bridge. */
const NET_NS = 'voc-ct-net';
const BRIDGE = 'br0';

/** The engines of a run: the builder and one per host (their cgroups are named after them). */
export const ENGINE_NAMES = ['build', 'server-a', 'server-b', 'witness'] as const;

/** Every run directory starts with this (mkdtemp), so a crashed run's leftovers can be found. */
export const RUN_DIR_PREFIX = path.join(tmpdir(), 'voc-containers-');

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (e as Error).message}`);
  }
}

function namespaces(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

function linkExists(name: string): boolean {
  try {
    ip(['link', 'show', name]);
    return true;
  } catch {
    return false;
  }
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The directories of an engine's cgroup under every mounted hierarchy (v1: one per controller; v2: one). */
function cgroupDirs(engine: string): string[] {
  const root = '/sys/fs/cgroup';
  const name = cgroupOf(engine);
  const dirs: string[] = [];
  if (existsSync(path.join(root, name))) dirs.push(path.join(root, name));
  for (const c of existsSync(root) ? readdirSync(root) : []) {
    const d = path.join(root, c, name);
    if (existsSync(d)) dirs.push(d);
  }
  return dirs;
}

/** Every cgroup below `dir`, deepest first. */
function cgroupTree(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...cgroupTree(path.join(dir, e.name)));
  out.push(dir);
  return out;
}

function cgroupPids(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const d of dirs) {
    for (const g of cgroupTree(d)) {
      const f = path.join(g, 'cgroup.procs');
      if (!existsSync(f)) continue;
      for (const l of readFileSync(f, 'utf8').split('\n')) if (Number(l) > 0) pids.add(Number(l));
    }
  }
  return [...pids];
}

/** Containers whose engine died without stopping them: kill what is left in its cgroups, then remove them. */
function clearCgroups(log: Log): void {
  for (const engine of ENGINE_NAMES) {
    const dirs = cgroupDirs(engine);
    if (!dirs.length) continue;
    const pids = cgroupPids(dirs);
    if (pids.length) log(`killing ${pids.length} container process(es) left in cgroup ${cgroupOf(engine)}`);
    killAll(pids);
    for (let i = 0; i < 50 && cgroupPids(dirs).length; i++) sleepSync(100);
    for (const d of dirs) for (const g of cgroupTree(d)) {
      try {
        rmdirSync(g);
      } catch {
        // Busy for a moment after its last process exits; the next run removes it.
      }
    }
  }
}

/** Mount points (overlay layers, container namespaces, shm) under our run directories, deepest first. */
function runMounts(): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p.startsWith(RUN_DIR_PREFIX));
  return [...new Set(mounts)].sort((a, b) => b.length - a.length);
}

function unmountAll(log: Log): void {
  const mounts = runMounts();
  if (mounts.length) log(`unmounting ${mounts.length} mount(s) left under ${RUN_DIR_PREFIX}*`);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // Already gone with its parent.
    }
  }
}

/** dockerd processes of earlier runs in the machine's namespace (the builder): by their pid files. */
function staleBuilders(): number[] {
  const pids: number[] = [];
  const dir = path.dirname(RUN_DIR_PREFIX);
  for (const e of readdirSync(dir)) {
    if (!path.join(dir, e).startsWith(RUN_DIR_PREFIX)) continue;
    const pidFile = path.join(dir, e, 'build', 'docker.pid');
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      // Only if that pid is still a dockerd of that run directory.
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join(dir, e))) pids.push(pid);
    } catch {
      // Gone.
    }
  }
  return pids;
}

/**
 * Removes the test bed and everything a run left. `runDir`: this run's
 * directory (removed too); stale directories of crashed runs are removed
 * when `staleDirs` is set (before a new run, under the run lock).
 */
export function tearDownTestbed(log: Log, opts: { runDir?: string; staleDirs?: boolean } = {}): void {
  const present = new Set(namespaces());
  for (const host of Object.values(HOSTS)) {
    if (!present.has(host.netns)) continue;
    const pids = pidsIn(host.netns);
    if (pids.length) log(`killing ${pids.length} process(es) left in ${host.netns}: ${pids.join(' ')}`);
    killAll(pids);
    for (let i = 0; i < 50 && pidsIn(host.netns).length > 0; i++) sleepSync(100);
  }
  if (opts.staleDirs) {
    const builders = staleBuilders();
    if (builders.length) log(`killing the build engine(s) of an earlier run: ${builders.join(' ')}`);
    killAll(builders);
    sleepSync(builders.length ? 1000 : 0);
  }
  clearCgroups(log);
  unmountAll(log);
  // Deleting a namespace deletes its interfaces, and a veth end takes its peer with it.
  for (const ns of [...Object.values(HOSTS).map((h) => h.netns), NET_NS]) {
    if (present.has(ns)) {
      ip(['netns', 'del', ns]);
      log(`deleted network namespace ${ns}`);
    }
  }
  // Temporary veth names of a set-up interrupted before the ends moved.
  for (const host of Object.values(HOSTS)) if (linkExists(`${host.port}-h`)) ip(['link', 'del', `${host.port}-h`]);
  const dirs: string[] = [];
  if (opts.runDir) dirs.push(opts.runDir);
  if (opts.staleDirs) {
    const parent = path.dirname(RUN_DIR_PREFIX);
    for (const e of readdirSync(parent)) if (path.join(parent, e).startsWith(RUN_DIR_PREFIX)) dirs.push(path.join(parent, e));
  }
  for (const d of new Set(dirs)) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
}

/** Creates the bridge's namespace and the hosts' (loopback up), each host plugged into the bridge as eth0. */
export function setUpTestbed(log: Log): void {
  ip(['netns', 'add', NET_NS]);
  ip(['-n', NET_NS, 'link', 'add', BRIDGE, 'type', 'bridge']);
  ip(['-n', NET_NS, 'link', 'set', BRIDGE, 'up']);
  ip(['-n', NET_NS, 'link', 'set', 'lo', 'up']);
  for (const host of Object.values(HOSTS)) {
    ip(['netns', 'add', host.netns]);
    // Created in the machine's namespace under temporary names, then each end moved and named.
    const inside = `${host.port}-h`;
    ip(['link', 'add', inside, 'type', 'veth', 'peer', 'name', host.port]);
    ip(['link', 'set', host.port, 'netns', NET_NS]);
    ip(['-n', NET_NS, 'link', 'set', host.port, 'master', BRIDGE]);
    ip(['-n', NET_NS, 'link', 'set', host.port, 'up']);
    ip(['link', 'set', inside, 'netns', host.netns]);
    ip(['-n', host.netns, 'link', 'set', inside, 'name', HOST_IFACE]);
    ip(['-n', host.netns, 'addr', 'add', `${host.address}/${SUBNET_PREFIX}`, 'dev', HOST_IFACE]);
    ip(['-n', host.netns, 'link', 'set', HOST_IFACE, 'up']);
    ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
  }
  log(`network namespaces ${Object.values(HOSTS).map((h) => `${h.netns} (${h.address})`).join(', ')} on one bridge (namespace ${NET_NS})`);
}
