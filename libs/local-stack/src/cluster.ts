/**
 * A JetStream cluster of several nats-server nodes on loopback, for tests of
 * node loss: each node its own client, monitoring and route port and its own
 * store, routes to every other node. Streams with 3 replicas survive the loss
 * of one node, as on the production hosts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBinaries } from './install';
import { stablePort, waitUntil } from './process';
import { startNats, type RunningServer } from './servers';

export interface NatsClusterOptions {
  /** Cluster (and server name) prefix. */
  name?: string;
  /** Where the nodes keep their stores; default a temp dir that stop() removes. */
  dataDir?: string;
}

export interface NatsCluster {
  /** Client URL of each node, in start order. */
  urls: string[];
  /** The same, comma-separated (NATS_URL of the services). */
  url: string;
  nodes: RunningServer[];
  /** Each node's monitoring base URL (http://127.0.0.1:port), same order as `nodes`. */
  monitorUrls: string[];
  /** Until every running node sees the same JetStream meta leader. */
  waitForQuorum(timeoutMs?: number): Promise<void>;
  /** Stops every node (a paused one is resumed first) and removes a temp data dir. */
  stop(): Promise<void>;
}

/** Until every monitoring endpoint reports the same JetStream meta leader (the cluster takes stream writes). */
export async function waitForJetStreamQuorum(monitorUrls: string[], timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    `JetStream meta leader seen by ${monitorUrls.join(', ')}`,
    async () => {
      const leaders = await Promise.all(
        monitorUrls.map(async (u) => {
          const res = await fetch(`${u}/jsz`, { signal: AbortSignal.timeout(2000) });
          const body = (await res.json()) as { meta_cluster?: { leader?: string } };
          return body.meta_cluster?.leader ?? '';
        }),
      );
      return leaders[0] !== '' && leaders.every((l) => l === leaders[0]);
    },
    undefined,
    timeoutMs,
  );
}

/** A JetStream cluster of `size` nodes on loopback (free ports); resolves once the nodes agree on a meta leader. */
export async function startNatsCluster(size = 3, o: NatsClusterOptions = {}): Promise<NatsCluster> {
  if (!Number.isInteger(size) || size < 2) throw new Error(`startNatsCluster: need at least 2 nodes, got ${size}`);
  const bin = ensureBinaries(() => undefined);
  const name = o.name ?? 'voc-test';
  const ownDir = o.dataDir === undefined;
  const dataDir = o.dataDir ?? mkdtempSync(path.join(tmpdir(), 'voc-nats-cluster-'));
  const ports: { client: number; http: number; route: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await stablePort(), http: await stablePort(), route: await stablePort() });
  const nodes: RunningServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // Started together: each waits for a JetStream quorum, which needs the others.
    const started = await Promise.allSettled(
      ports.map((p, i) =>
        startNats(bin, {
          port: p.client,
          httpPort: p.http,
          serverName: `${name}-n${i + 1}`,
          dataDir: path.join(dataDir, `n${i + 1}`),
          cluster: { name, port: p.route, routes: ports.filter((q) => q !== p).map((q) => `nats-route://127.0.0.1:${q.route}`) },
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const monitorUrls = ports.map((p) => `http://127.0.0.1:${p.http}`);
    const cluster: NatsCluster = {
      urls: nodes.map((n) => n.url),
      url: nodes.map((n) => n.url).join(','),
      nodes,
      monitorUrls,
      waitForQuorum: (timeoutMs) => waitForJetStreamQuorum(monitorUrls.filter((_, i) => nodes[i]!.running), timeoutMs),
      stop,
    };
    await cluster.waitForQuorum();
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}
