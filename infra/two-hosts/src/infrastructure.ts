/**
 * The servers of the deployment: PostgreSQL and Redis (the one limiter) on
 * server A, and the three-node NATS JetStream cluster of the compose files
 * (nats-a1 and nats-a2 on A, nats-b1 on B), each node run with its generated
 * config and its container environment, so streams are R3 and the two nodes
 * on A keep a quorum when B dies. The driver lives in A's namespace, so
 * PostgreSQL and Redis are simply its children; NATS nodes go through
 * `ip netns exec <their host>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startPostgres, startProcess, startRedis, waitForJetStreamQuorum, waitUntil, type Binaries, type ManagedProcess, type RunningServer } from '@voc/local-stack';
import type { NatsNodeSpec } from './deployment';
import { netnsPrefix, TEST_SUBNET, type HostRole, type TestHost } from './testbed';

export interface InfraSettings {
  dataDir: string;
  serverA: TestHost;
  postgres: { port: number; user: string; password: string; database: string; maxConnections: number };
  redis: { port: number; password: string };
  nats: NatsNodeSpec[];
}

type Log = (msg: string) => void;

/** The generated config with its JetStream store moved from the container's /data into `storeDir`. */
export function natsConfigFor(config: string, storeDir: string): string {
  const moved = config.replace(/^(\s*store_dir:\s*).*$/m, `$1${JSON.stringify(storeDir)}`);
  if (moved === config) throw new Error('the NATS config has no store_dir line to move');
  return moved;
}

export class Infrastructure {
  private readonly nats = new Map<string, ManagedProcess>();
  private postgres?: RunningServer;
  private redis?: RunningServer;

  private constructor(
    private readonly bin: Binaries,
    readonly settings: InfraSettings,
    private readonly log: Log,
  ) {}

  /** Starts everything; on failure stops what did start and rethrows. */
  static async start(bin: Binaries, settings: InfraSettings, log: Log): Promise<Infrastructure> {
    const infra = new Infrastructure(bin, settings, log);
    try {
      const a = settings.serverA;
      infra.postgres = await startPostgres(bin, {
        host: a.address,
        port: settings.postgres.port,
        user: settings.postgres.user,
        password: settings.postgres.password,
        database: settings.postgres.database,
        maxConnections: settings.postgres.maxConnections,
        // Server B's services, and A's own (they connect to A's address, not loopback).
        clientNetworks: [TEST_SUBNET],
        dataDir: path.join(settings.dataDir, 'postgres'),
        // Durable settings, as in production: the run kills processes, not the disk.
        fast: false,
      });
      log(`postgres on ${a.role} ${a.address}:${settings.postgres.port} (pid ${infra.postgres.proc.pid})`);
      infra.redis = await startRedis(bin, {
        host: a.address,
        port: settings.redis.port,
        password: settings.redis.password,
        dataDir: path.join(settings.dataDir, 'redis'),
        persist: true,
      });
      log(`redis on ${a.role} ${a.address}:${settings.redis.port} (pid ${infra.redis.proc.pid})`);
      // All nodes at once: a clustered JetStream node waits for its peers.
      await Promise.all(settings.nats.map((n) => infra.startNatsNode(n)));
      await infra.waitForJetStreamQuorum(settings.nats);
      return infra;
    } catch (err) {
      await infra.stop();
      throw err;
    }
  }

  get databaseUrl(): string {
    return this.postgres!.url;
  }

  nodesOn(role: HostRole): NatsNodeSpec[] {
    return this.settings.nats.filter((n) => n.host.role === role);
  }

  private async startNatsNode(node: NatsNodeSpec): Promise<void> {
    const dir = path.join(this.settings.dataDir, node.name);
    mkdirSync(dir, { recursive: true });
    const conf = path.join(dir, `${node.name}.conf`);
    writeFileSync(conf, natsConfigFor(node.config, path.join(dir, 'jetstream')));
    const [cmd, ...pre] = netnsPrefix(node.host);
    const proc = startProcess(node.name, cmd!, [...pre, this.bin.natsServer, '-c', conf], { env: { ...process.env, ...node.env } });
    this.nats.set(node.name, proc);
    await waitUntil(
      `${node.name} on ${node.host.address}:${node.clientPort}`,
      async () => (await fetch(`http://${node.host.address}:${node.monitorPort}/healthz?js-enabled-only=true`)).ok,
      proc,
    );
    this.log(`nats ${node.name} on ${node.host.role} ${node.host.address}:${node.clientPort} (pid ${proc.pid})`);
  }

  /** Until every node sees the same JetStream meta leader (the cluster takes stream writes). */
  async waitForJetStreamQuorum(nodes: NatsNodeSpec[], timeoutMs = 60_000): Promise<void> {
    await waitForJetStreamQuorum(nodes.map((n) => `http://${n.host.address}:${n.monitorPort}`), timeoutMs);
  }

  /** A host dying: SIGKILL its NATS nodes. */
  async killNatsOn(role: HostRole): Promise<void> {
    await Promise.all(
      this.nodesOn(role).map(async (n) => {
        const p = this.nats.get(n.name);
        this.nats.delete(n.name);
        await p?.stop('SIGKILL');
      }),
    );
  }

  /** The host coming back: its NATS nodes start again on their data and rejoin the cluster. */
  async restartNatsOn(role: HostRole): Promise<void> {
    await Promise.all(this.nodesOn(role).map((n) => this.startNatsNode(n)));
    await this.waitForJetStreamQuorum(this.settings.nats);
  }

  /** Stops every server still running (NATS first, PostgreSQL last). */
  async stop(): Promise<void> {
    const nats = [...this.nats.values()];
    this.nats.clear();
    await Promise.all(nats.map((p) => p.stop()));
    await this.redis?.stop();
    this.redis = undefined;
    await this.postgres?.stop();
    this.postgres = undefined;
  }
}
