/**
 * A test bed of hosts on one machine: a network namespace per host, each
 * with one interface (`eth0`) on a private subnet, all plugged into one
 * bridge that lives in a namespace of its own (so nothing is added to the
 * machine's own network). Nothing is routed anywhere else: every process of
 * a run reaches only loopback and the hosts' addresses.
 *
 * Each host also gets a hosts file (/etc/netns/<netns>/hosts, which
 * `ip netns exec` mounts over /etc/hosts): the compose names its services
 * use (their own services, `extra_hosts`) resolve as Docker would resolve
 * them. A host can be cut off (its bridge port down: a dead machine answers
 * nothing, not even a TCP reset) and plugged back in.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestHost {
  /** What the host stands for (server-a, witness, client, …). */
  role: string;
  /** Network namespace name (`ip netns`). */
  netns: string;
  /** The host's address on the test subnet. */
  address: string;
  /** Its bridge port, in the bridge's namespace (≤ 15 characters, the kernel's limit). */
  port: string;
  /**
   * Niceness of the processes started in it from now on (unset: the
   * runner's). The hosts share one machine's CPU: a run may lower a booting
   * host's priority so its start-up burst does not starve the others, which
   * on real machines have CPUs of their own.
   */
  nice?: number;
}

export interface Testbed {
  /** The namespace that holds the bridge (and every host's bridge port). */
  bridgeNetns: string;
  /** Prefix length of the test subnet. */
  prefix: number;
  hosts: readonly TestHost[];
}

/** The interface every host has on the bridge. */
export const HOST_IFACE = 'eth0';

/** Where `ip netns exec` finds a namespace's own /etc files. */
const NETNS_ETC = '/etc/netns';

/** The command prefix that runs a program inside a host's namespace (ip-netns-exec execs it: no wrapper process). */
export function netnsPrefix(host: Pick<TestHost, 'netns' | 'nice'>): string[] {
  return ['ip', 'netns', 'exec', host.netns, ...(host.nice === undefined ? [] : ['nice', '-n', String(host.nice)])];
}

/** Sets the niceness of every process now in `netns` (root may also raise priority back). */
export function reniceAllIn(netns: string, nice: number): void {
  const pids = pidsIn(netns);
  if (pids.length === 0) return;
  try {
    execFileSync('renice', ['-n', String(nice), '-p', ...pids.map(String)], { stdio: 'ignore' });
  } catch {
    // A process that exited between the listing and renice: the others are reniced regardless.
  }
}

type Log = (msg: string) => void;

export function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (e as Error).message}`);
  }
}

export function namespaces(): string[] {
  // Lines look like "voc-a (id: 3)" or just "voc-a".
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** Processes whose network namespace is `netns`: by construction only ones this run (or a crashed earlier run) started. */
export function pidsIn(netns: string): number[] {
  return ip(['netns', 'pids', netns])
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILLs every process in `netns` and waits (up to 5 s) until they are gone. */
export function killAllIn(netns: string, log: Log = () => undefined): number {
  const pids = pidsIn(netns);
  if (pids.length > 0) log(`killing ${pids.length} process(es) in ${netns}`);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  for (let i = 0; i < 50 && pidsIn(netns).length > 0; i++) sleepSync(100);
  return pids.length;
}

/**
 * Removes the test bed: SIGKILLs every process still inside its namespaces,
 * deletes them (the interfaces go with them) and their hosts files. Safe to
 * call when nothing is there, and called before set-up to clear a crashed
 * earlier run.
 */
export function tearDownTestbed(tb: Testbed, log: Log): void {
  const present = new Set(namespaces());
  for (const netns of [...tb.hosts.map((h) => h.netns), tb.bridgeNetns]) {
    if (!present.has(netns)) continue;
    killAllIn(netns, log);
    // A namespace with live processes is only unlinked, not freed: killAllIn waited for them.
    ip(['netns', 'del', netns]);
    log(`deleted network namespace ${netns}`);
  }
  for (const h of tb.hosts) rmSync(path.join(NETNS_ETC, h.netns), { recursive: true, force: true });
  // /etc/netns itself, when nothing else uses it.
  try {
    rmdirSync(NETNS_ETC);
  } catch {
    // not empty, or not there
  }
}

/** Creates the bridge's namespace and one namespace per host, plugged into the bridge (after clearing a stale test bed). */
export function setUpTestbed(tb: Testbed, log: Log): void {
  tearDownTestbed(tb, log);
  const br = tb.bridgeNetns;
  ip(['netns', 'add', br]);
  ip(['-n', br, 'link', 'add', 'br0', 'type', 'bridge']);
  ip(['-n', br, 'link', 'set', 'br0', 'up']);
  for (const h of tb.hosts) {
    ip(['netns', 'add', h.netns]);
    // Made in the bridge's namespace, one end moved into the host's and renamed there.
    ip(['-n', br, 'link', 'add', h.port, 'type', 'veth', 'peer', 'name', `${h.port}-h`]);
    ip(['-n', br, 'link', 'set', `${h.port}-h`, 'netns', h.netns]);
    ip(['-n', h.netns, 'link', 'set', `${h.port}-h`, 'name', HOST_IFACE]);
    ip(['-n', br, 'link', 'set', h.port, 'master', 'br0']);
    ip(['-n', br, 'link', 'set', h.port, 'up']);
    ip(['-n', h.netns, 'addr', 'add', `${h.address}/${tb.prefix}`, 'dev', HOST_IFACE]);
    ip(['-n', h.netns, 'link', 'set', HOST_IFACE, 'up']);
    ip(['-n', h.netns, 'link', 'set', 'lo', 'up']);
  }
  log(`network namespaces ${tb.hosts.map((h) => `${h.netns} (${h.address})`).join(', ')} on a bridge in ${br}`);
}

/** Plugs a host's cable in or pulls it out: while out, the host neither answers nor sends anything. */
export function setHostLink(tb: Testbed, host: TestHost, up: boolean): void {
  ip(['-n', tb.bridgeNetns, 'link', 'set', host.port, up ? 'up' : 'down']);
}

/** The IPv4 addresses on a host's interface (its own, and a floating one while it holds it). */
export function hostAddresses(host: TestHost): string[] {
  return [...ip(['-n', host.netns, '-4', '-o', 'addr', 'show', 'dev', HOST_IFACE]).matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
}

/** Removes every address of the host's interface but its own (a reboot forgets a floating address). */
export function dropExtraAddresses(host: TestHost): string[] {
  const extra = hostAddresses(host).filter((a) => a !== host.address);
  for (const a of extra) {
    const line = ip(['-n', host.netns, '-4', '-o', 'addr', 'show', 'dev', HOST_IFACE]).split('\n').find((l) => l.includes(`inet ${a}/`));
    const cidr = /inet (\S+)/.exec(line ?? '')?.[1] ?? `${a}/32`;
    ip(['-n', host.netns, 'addr', 'del', cidr, 'dev', HOST_IFACE]);
  }
  return extra;
}

/** Writes the hosts file `ip netns exec` mounts over /etc/hosts in `host`'s namespace. */
export function writeHostsFile(host: TestHost, names: Readonly<Record<string, string>>): void {
  const dir = path.join(NETNS_ETC, host.netns);
  mkdirSync(dir, { recursive: true });
  const lines = ['127.0.0.1 localhost', ...Object.entries(names).map(([name, addr]) => `${addr} ${name}`)];
  writeFileSync(path.join(dir, 'hosts'), lines.join('\n') + '\n');
}

