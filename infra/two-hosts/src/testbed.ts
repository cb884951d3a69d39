/**
 * The test bed: two network namespaces standing in for server A and server B,
 * joined by one veth pair on a private /24 that exists only inside this
 * machine. Nothing is routed anywhere else: each namespace has only its
 * loopback and its end of the pair, so every process of the run can reach
 * loopback and the two host addresses, and nothing more.
 */
import { execFileSync } from 'node:child_process';

export type HostRole = 'server-a' | 'server-b';

export interface TestHost {
  role: HostRole;
  /** Network namespace name (`ip netns`). */
  netns: string;
  /** The host's address on the test subnet. */
  address: string;
  /** Its end of the veth pair (≤ 15 characters, the kernel's limit). */
  veth: string;
}

export const SUBNET_PREFIX = 24;

/** The test subnet (PostgreSQL lets its clients in). */
export const TEST_SUBNET = `10.231.7.0/${SUBNET_PREFIX}`;

export const HOSTS: Record<HostRole, TestHost> = {
  'server-a': { role: 'server-a', netns: 'voc-a', address: '10.231.7.1', veth: 'voc-veth-a' },
  'server-b': { role: 'server-b', netns: 'voc-b', address: '10.231.7.2', veth: 'voc-veth-b' },
};

/** The command prefix that runs a program inside a host's namespace (ip-netns-exec execs it: no wrapper process). */
export function netnsPrefix(host: TestHost): string[] {
  return ['ip', 'netns', 'exec', host.netns];
}

type Log = (msg: string) => void;

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (e as Error).message}`);
  }
}

function namespaces(): string[] {
  // Lines look like "voc-a (id: 3)" or just "voc-a".
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

/**
 * Removes the test bed: SIGKILLs every process still inside a test
 * namespace, deletes the namespaces (which deletes the veth ends inside
 * them) and a veth end left in the root namespace by an interrupted set-up.
 * Safe to call when nothing is there, and called before set-up to clear a
 * crashed earlier run.
 */
export function tearDownTestbed(log: Log): void {
  const present = new Set(namespaces());
  for (const host of Object.values(HOSTS)) {
    if (!present.has(host.netns)) continue;
    const pids = pidsIn(host.netns);
    if (pids.length > 0) log(`killing ${pids.length} process(es) left in ${host.netns}: ${pids.join(' ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
    // A namespace with live processes is only unlinked, not freed: wait for them to go.
    for (let i = 0; i < 50 && pidsIn(host.netns).length > 0; i++) sleepSync(100);
    ip(['netns', 'del', host.netns]);
    log(`deleted network namespace ${host.netns}`);
  }
  for (const host of Object.values(HOSTS)) if (linkExists(host.veth)) ip(['link', 'del', host.veth]);
}

/** Creates both namespaces and the veth pair between them (after clearing a stale test bed). */
export function setUpTestbed(log: Log): void {
  tearDownTestbed(log);
  const a = HOSTS['server-a'];
  const b = HOSTS['server-b'];
  ip(['netns', 'add', a.netns]);
  ip(['netns', 'add', b.netns]);
  ip(['link', 'add', a.veth, 'type', 'veth', 'peer', 'name', b.veth]);
  for (const host of [a, b]) {
    ip(['link', 'set', host.veth, 'netns', host.netns]);
    ip(['-n', host.netns, 'addr', 'add', `${host.address}/${SUBNET_PREFIX}`, 'dev', host.veth]);
    ip(['-n', host.netns, 'link', 'set', host.veth, 'up']);
    ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
  }
  log(`network namespaces ${a.netns} (${a.address}) and ${b.netns} (${b.address}) joined by a veth pair`);
}
