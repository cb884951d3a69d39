import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBinaries } from './install';
import { freePort } from './process';
import { startNats, type RunningServer } from './servers';

export interface NatsCluster {
  /** Client URL of each node, in start order. */
  urls: string[];
  nodes: RunningServer[];
  /** Stops every node (a paused one is resumed first) and removes the data. */
  stop(): Promise<void>;
}

/**
 * A JetStream cluster of `size` nats-server nodes on loopback (free ports,
 * data in a temp dir), for tests of node loss. Resolves once every node
 * answers its JetStream health check.
 */
export async function startNatsCluster(size = 3, name = 'voc-test'): Promise<NatsCluster> {
  const bin = ensureBinaries(() => undefined);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'voc-nats-cluster-'));
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), http: await freePort(), cluster: await freePort() });
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.cluster}`);
  const nodes: RunningServer[] = [];
  const stop = async () => {
    for (const n of nodes) n.proc.child.kill('SIGCONT');
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // Started together: each waits for a JetStream quorum, which needs the others.
    nodes.push(
      ...(await Promise.all(
        ports.map((p, i) =>
          startNats(bin, {
            port: p.client,
            httpPort: p.http,
            dataDir: path.join(dataDir, `n${i + 1}`),
            serverName: `${name}-n${i + 1}`,
            cluster: { name, port: p.cluster, routes: routes.filter((_, j) => j !== i) },
          }),
        ),
      )),
    );
    return { urls: nodes.map((n) => n.url), nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
