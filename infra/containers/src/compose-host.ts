/**
 * One host of the test bed as an operator drives it: `docker-compose` (1.29,
 * Debian's) with the host's compose file, its `.env` and its engine, run
 * from the repository root exactly as the runbook writes the commands; and
 * what `docker inspect` says about the host's containers.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { activeServices, parseCompose, parseEnvFile, testValue, TEST_BED_MAX_API_TPM } from '@voc/two-hosts/harness';
import { readFileSync } from 'node:fs';
import { runCommand, type CommandResult } from './command';
import type { Log } from './engine';
import type { ContainerHost } from './testbed';
import { HOST_IFACE, HOSTS, VIRTUAL_IP } from './testbed';

/** What the driver needs of an engine: where its socket is (the driver runs in another process). */
export interface EngineRef {
  name: string;
  /** DOCKER_HOST value (unix://…). */
  host: string;
  /** DOCKER_CONFIG directory for the CLI. */
  config: string;
}

export interface ContainerState {
  id: string;
  name: string;
  /** The compose service (com.docker.compose.service). */
  service: string;
  /** The replica number (com.docker.compose.container-number). */
  number: number;
  status: string;
  /** healthy / unhealthy / starting; undefined without a healthcheck. */
  health?: string;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  /** The container's address on its compose network. */
  ip: string;
  restartCount: number;
  /** The first healthcheck entries kept by the engine (the last five). */
  healthLog: { start: string; exitCode: number }[];
}

/**
 * A host's variables: its .env.example, empty values filled with test values,
 * the test bed's addresses (the hosts', the floating one, the bridge port as
 * the VRRP interface), llm-sim as the LLM (the value the example documents
 * for `--profile sim`) and its token limit, and `extra` (the stand-in images,
 * the backup store).
 */
export function hostEnvFile(root: string, host: ContainerHost, extra: Record<string, string>): Record<string, string> {
  const example = readFileSync(path.join(root, 'infra', host.role, '.env.example'), 'utf8');
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseEnvFile(example))) vars[k] = v === '' ? testValue(k) : v;
  return {
    ...vars,
    PRIVATE_IP: host.address,
    SERVER_A_IP: HOSTS['server-a'].address,
    SERVER_B_IP: HOSTS['server-b'].address,
    WITNESS_IP: HOSTS.witness.address,
    VIRTUAL_IP,
    VRRP_INTERFACE: HOST_IFACE,
    LLM_BASE_URL: 'http://llm-sim:8090/v1',
    // The simulated account limits requests only: see TEST_BED_MAX_API_TPM.
    MAX_API_TPM: TEST_BED_MAX_API_TPM,
    ...extra,
  };
}

export class ComposeHost {
  /** The compose project (the directory of the compose file, as compose names it by default). */
  readonly project: string;

  constructor(
    readonly host: ContainerHost,
    readonly engine: EngineRef,
    readonly root: string,
    /** The host's .env (written by `writeEnv`). */
    readonly envFile: string,
    readonly vars: Record<string, string>,
    private readonly log: Log,
  ) {
    this.project = host.role;
  }

  static create(host: ContainerHost, engine: EngineRef, root: string, dir: string, vars: Record<string, string>, log: Log): ComposeHost {
    const envFile = path.join(dir, `${host.role}.env`);
    writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
    return new ComposeHost(host, engine, root, envFile, vars, log);
  }

  get composeFile(): string {
    return `infra/${this.host.role}/compose.yml`;
  }

  private env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env.HOME ?? '/root',
      DOCKER_HOST: this.engine.host,
      DOCKER_CONFIG: this.engine.config,
      // docker-compose 1.29 prints a progress bar per container otherwise.
      COMPOSE_INTERACTIVE_NO_CLI: '1',
    };
  }

  /**
   * `docker-compose --env-file <.env> -f infra/<role>/compose.yml [more -f] <args>`
   * from the repository root; the command as run is logged (the runbook's).
   */
  async compose(args: string[], opts: { files?: string[]; pre?: string[]; timeoutMs?: number; allowFailure?: boolean; quiet?: boolean } = {}): Promise<CommandResult> {
    const full = [...(opts.pre ?? []), '--env-file', this.envFile, '-f', this.composeFile, ...(opts.files ?? []).flatMap((f) => ['-f', f]), ...args];
    if (!opts.quiet) this.log(`${this.host.role}$ docker-compose ${full.join(' ').replace(this.envFile, `<${this.host.role}.env>`)}`);
    return runCommand('docker-compose', full, { cwd: this.root, env: this.env(), timeoutMs: opts.timeoutMs ?? 600_000, allowFailure: opts.allowFailure });
  }

  /**
   * The services `up` starts with these profiles: those of no profile and those of a profile given.
   * (docker-compose 1.29's `config --services` lists every service, the restore drill's too, and
   * `up` starts a profiled service that is named.)
   */
  services(profiles: string[] = []): string[] {
    const source = path.join(this.root, this.composeFile);
    return activeServices(parseCompose(readFileSync(source, 'utf8'), source), profiles).map(([name]) => name);
  }

  docker(args: string[], opts: { allowFailure?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
    return runCommand('docker', args, { env: this.env(), timeoutMs: opts.timeoutMs ?? 60_000, allowFailure: opts.allowFailure });
  }

  /** Every container of the host's compose project, running or not. */
  async containers(): Promise<ContainerState[]> {
    const ids = (await this.docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.project}`])).stdout.split('\n').filter(Boolean);
    if (!ids.length) return [];
    const raw = JSON.parse((await this.docker(['inspect', ...ids])).stdout) as InspectEntry[];
    return raw.map((c) => ({
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      service: c.Config.Labels['com.docker.compose.service'] ?? '?',
      number: Number(c.Config.Labels['com.docker.compose.container-number'] ?? 1),
      status: c.State.Status,
      health: c.State.Health?.Status,
      exitCode: c.State.ExitCode,
      startedAt: c.State.StartedAt,
      finishedAt: c.State.FinishedAt,
      ip: Object.values(c.NetworkSettings.Networks ?? {})[0]?.IPAddress ?? '',
      restartCount: c.RestartCount,
      healthLog: (c.State.Health?.Log ?? []).map((h) => ({ start: h.Start, exitCode: h.ExitCode })),
    }));
  }

  /** The user id the container's main process (PID 1) runs as. */
  async mainUid(id: string): Promise<number | undefined> {
    const r = await this.docker(['exec', id, 'cat', '/proc/1/status'], { allowFailure: true });
    const m = /^Uid:\s+(\d+)/m.exec(r.stdout);
    return m ? Number(m[1]) : undefined;
  }

  /** `docker logs --timestamps` of one container (stdout and stderr). */
  async logs(id: string): Promise<string> {
    const r = await this.docker(['logs', '--timestamps', id], { allowFailure: true, timeoutMs: 60_000 });
    return r.stdout + r.stderr;
  }
}

interface InspectEntry {
  Id: string;
  Name: string;
  RestartCount: number;
  Config: { Labels: Record<string, string> };
  State: {
    Status: string;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; Log?: { Start: string; ExitCode: number }[] };
  };
  NetworkSettings: { Networks?: Record<string, { IPAddress: string }> };
}
