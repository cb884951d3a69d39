import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A server process this stack started; `stop()` sends SIGTERM and waits for it to exit. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last lines it wrote, for error messages. */
  output(): string;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If the owner dies without stopping its servers, do not leave them behind.
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export function startProcess(name: string, command: string, args: string[], opts: SpawnOptions = {}): ManagedProcess {
  installExitHook();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  live.add(child);
  const lines: string[] = [];
  const keep = (d: Buffer) => {
    lines.push(...d.toString().split('\n').filter(Boolean));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exitP = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  return {
    name,
    child,
    pid: child.pid,
    output: () => lines.join('\n'),
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (exited) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exitP;
      clearTimeout(t);
    },
  };
}

/** Polls `probe` until it resolves true, failing with the process's output when it exits or time runs out. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  proc?: ManagedProcess,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) {
      throw new Error(`${what}: process exited with code ${proc.child.exitCode}:\n${proc.output()}`);
    }
    try {
      if (await probe()) return;
    } catch (e) {
      lastErr = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms (${lastErr})\n${proc?.output() ?? ''}`);
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Ports stablePort() handed out in this process: never twice. */
const handedOut = new Set<number>();
/** Below Linux's default ephemeral range (32768–60999), above the well-known servers' ports. */
const STABLE_RANGE = { from: 20_000, to: 32_000 };

/**
 * A free port for a server that is stopped and started again on the same
 * port (a restarted service, a database brought back after an outage): one
 * outside the kernel's ephemeral range, because a port from freePort() may be
 * handed by the kernel to another process's port-0 bind while the server is
 * down (seen with many test stacks on one machine: the restarted gateway's
 * clients reached someone else's server). Falls back to freePort() after 100
 * busy picks.
 */
export async function stablePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = STABLE_RANGE.from + Math.floor(Math.random() * (STABLE_RANGE.to - STABLE_RANGE.from));
    if (handedOut.has(port) || !(await canBind(port, host))) continue;
    handedOut.add(port);
    return port;
  }
  return freePort(host);
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** The parent pid of `pid` from /proc/<pid>/stat (Linux), or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` (children, their children, …), read from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const p = Number(entry);
    if (!Number.isInteger(p) || p <= 0) continue;
    const parent = parentOf(p);
    if (parent === undefined) continue;
    const list = children.get(parent);
    if (list) list.push(p);
    else children.set(parent, [p]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * Sends `signal` to `pid` first, then to every descendant: SIGSTOP of a
 * PostgreSQL postmaster and its backends leaves the port accepting TCP
 * connections (the kernel's backlog) while nothing answers. The root goes
 * first so that a stopped postmaster forks no new backend while the tree is
 * read. Returns the pids signalled.
 */
export function signalProcessTree(pid: number, signal: NodeJS.Signals): number[] {
  const sent: number[] = [];
  const send = (p: number) => {
    try {
      process.kill(p, signal);
      sent.push(p);
    } catch {
      // exited meanwhile
    }
  };
  send(pid);
  for (const p of descendantsOf(pid)) send(p);
  return sent;
}
