/**
 * A host's server processes (compose services run by `service-process.ts`),
 * supervised as compose's `restart: unless-stopped` does: a process that
 * exits without being told to is started again after a second, and counted.
 * A host that dies (`down()`) restarts nothing; its processes are killed
 * with everything else in its namespace (testbed.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { prepareDirs, spawnArgs, type ServiceProcess } from './service-process';
import { netnsPrefix, type TestHost } from './testbed';

interface Entry {
  p: ServiceProcess;
  child?: ChildProcess;
  exited?: Promise<void>;
  restarts: number;
}

export class SupervisedHost {
  private readonly entries = new Map<string, Entry>();
  private up = true;
  private restartCount = 0;

  constructor(
    readonly host: TestHost,
    private readonly logDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  logFile(service: string): string {
    return path.join(this.logDir, `${this.host.role}.${service}.log`);
  }

  /** Starts `p` (again, after the host came back: same directories, same data). */
  start(p: ServiceProcess): void {
    this.up = true;
    prepareDirs(p);
    const entry = this.entries.get(p.service) ?? { p, restarts: 0 };
    entry.p = p;
    this.entries.set(p.service, entry);
    this.launch(entry);
  }

  private launch(entry: Entry): void {
    const out = createWriteStream(this.logFile(entry.p.service), { flags: 'a' });
    const [cmd, ...args] = spawnArgs(entry.p, netnsPrefix(this.host));
    const child = spawn(cmd!, args, { cwd: entry.p.cwd, env: entry.p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Two sources, one file: neither may end it (the other would then write after its end, an
    // unhandled error that kills the run); it ends once both are closed.
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.once('close', () => out.end());
    entry.child = child;
    entry.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        resolve();
        if (!this.up || entry.child !== child) return;
        entry.restarts++;
        this.restartCount++;
        this.log(`${this.host.role}/${entry.p.service} exited (${signal ?? code}); restarting it (restart: unless-stopped), see ${this.logFile(entry.p.service)}`);
        setTimeout(() => {
          if (this.up && entry.child === child) this.launch(entry);
        }, 1000);
      }),
    );
  }

  /** Whether the service's process is running now. */
  running(service: string): boolean {
    const c = this.entries.get(service)?.child;
    return Boolean(c && c.exitCode === null && c.signalCode === null);
  }

  /** Unplanned restarts over the whole run. */
  restarts(): number {
    return this.restartCount;
  }

  /** The host dies: nothing is restarted until `start` again. */
  down(): void {
    this.up = false;
  }

  /** Stops one service (SIGTERM, then SIGKILL after `timeoutMs`) without restarting it. */
  async stop(service: string, timeoutMs = 30_000): Promise<void> {
    const e = this.entries.get(service);
    if (!e?.child || e.child.exitCode !== null || e.child.signalCode !== null) return;
    const child = e.child;
    e.child = undefined;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await e.exited;
    clearTimeout(t);
  }

  /** Stops every service, in the reverse order they were started. */
  async stopAll(timeoutMs = 30_000): Promise<void> {
    this.up = false;
    for (const service of [...this.entries.keys()].reverse()) await this.stop(service, timeoutMs);
  }
}
