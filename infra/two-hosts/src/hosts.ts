/**
 * One host's services as processes in the host's network namespace, each
 * with the environment its compose file gives it: started together, killed
 * together (a host dying), started again (the host coming back), and
 * restarted one by one when one exits on its own, as compose would.
 */
import path from 'node:path';
import type { ServiceName } from '@voc/config';
import { startApp, startProcess, waitUntil } from '@voc/local-stack';
import { LLM_SIM_NICE, type OneShot } from './deployment';
import type { ObservedApp } from './observer';
import { netnsPrefix, type TestHost } from './testbed';

export interface PlannedService {
  /** The compose service name. */
  name: string;
  /** The app of apps/ it runs. */
  app: ServiceName;
  env: Record<string, string>;
  /** Where its /readyz and /metrics answer. */
  port: number;
}

export interface HostPlan {
  host: TestHost;
  services: PlannedService[];
}

/** One service of a host: the process running now, and how often it had to be started again. */
export interface SupervisedApp extends ObservedApp {
  restarts: number;
}

/**
 * A host's services, supervised like compose's `restart: unless-stopped`: a
 * service that exits without being told to (a start-up that failed, a crash)
 * is started again after a second, and counted. Killing the host or stopping
 * the run is being told to.
 */
export class HostServices {
  private entries: SupervisedApp[] = [];
  private up = false;
  private restartCount = 0;
  private lastRestartAt = 0;

  constructor(
    readonly plan: HostPlan,
    private readonly root: string,
    private readonly logDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  get apps(): SupervisedApp[] {
    return this.entries;
  }

  /** When a service last exited on its own (0: never). */
  get lastRestart(): number {
    return this.lastRestartAt;
  }

  /** Whether every service answers /readyz now. */
  async allReady(): Promise<boolean> {
    const { host } = this.plan;
    const answers = await Promise.all(
      this.entries.map((e) =>
        fetch(`http://${host.address}:${e.app.port}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    return answers.every(Boolean);
  }

  /** Unplanned restarts over the whole run (every start of the host). */
  restarts(): number {
    return this.restartCount;
  }

  private logFile(name: string): string {
    return path.join(this.logDir, `${this.plan.host.role}.${name}.log`);
  }

  private launch(entry: SupervisedApp, svc: PlannedService): void {
    const app = startApp(this.root, svc.app, svc.env, this.logFile(svc.name), { port: svc.port, spawnPrefix: [...(svc.app === 'llm-sim' ? ['nice', '-n', String(LLM_SIM_NICE)] : []), ...netnsPrefix(this.plan.host)] });
    entry.app = app;
    void app.exited.then((code) => {
      if (!this.up || entry.app !== app) return;
      entry.restarts++;
      this.restartCount++;
      this.lastRestartAt = Date.now();
      this.log(`${this.plan.host.role}/${svc.name} exited with code ${code}; restarting it (restart: unless-stopped), see ${this.logFile(svc.name)}`);
      setTimeout(() => {
        if (this.up && entry.app === app) this.launch(entry, svc);
      }, 1000);
    });
  }

  /** Starts every service and waits until each answers /readyz on the host's address. */
  async start(readyTimeoutMs: number): Promise<void> {
    const { host } = this.plan;
    this.up = true;
    this.entries = this.plan.services.map((svc) => {
      const entry = { host, service: svc.name, restarts: 0 } as SupervisedApp;
      this.launch(entry, svc);
      return entry;
    });
    await Promise.all(
      this.entries.map((e) =>
        waitUntil(
          `${host.role}/${e.service} ready on ${host.address}:${e.app.port} (log ${this.logFile(e.service)})`,
          async () => (await fetch(`http://${host.address}:${e.app.port}/readyz`, { signal: AbortSignal.timeout(2000) })).ok,
          undefined,
          readyTimeoutMs,
        ),
      ),
    );
  }

  /** SIGKILL every service (the host dies without warning) and wait until they are gone. */
  async kill(): Promise<void> {
    this.up = false;
    for (const e of this.entries) e.app.kill('SIGKILL');
    await Promise.all(this.entries.map((e) => e.app.exited));
  }

  /** SIGTERM every service (they drain) and wait for them to exit. */
  async stop(): Promise<void> {
    this.up = false;
    await Promise.all(this.entries.map((e) => e.app.stop()));
  }
}

/**
 * Runs a one-shot container's command (the migration) as a process in its
 * host's namespace, from the repository root as the image's working
 * directory, and fails with its output unless it exits 0.
 */
export async function runOneShot(root: string, shot: OneShot, timeoutMs = 120_000): Promise<string> {
  const [program, ...args] = shot.command;
  // `node` in the image is this Node here.
  const command = program === 'node' ? process.execPath : program!;
  const [cmd, ...pre] = netnsPrefix(shot.host);
  const proc = startProcess(shot.name, cmd!, [...pre, command, ...args], { cwd: root, env: { ...process.env, ...shot.env } });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => void proc.stop('SIGKILL'), timeoutMs);
    proc.child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0) throw new Error(`${shot.host.role}/${shot.name} (${shot.command.join(' ')}) exited with ${code}:\n${proc.output()}`);
  return proc.output();
}
