/**
 * A JetStream cluster of several nats-server nodes on one host (loopback by
 * default): each node its own client, monitoring and route port and its own
 * store, routes to every other node. Streams created with 3 replicas survive
 * the loss of one node, as on the production hosts.
 */
import path from 'node:path';
import type { Binaries } from './install';
import { freePort, waitUntil } from './process';
import { startNats, type RunningServer } from './servers';

export interface NatsClusterOptions {
  /** 3 or more for a JetStream quorum that survives one node. */
  nodes: number;
  dataDir: string;
  host?: string;
  name?: string;
}

export interface NatsCluster {
  /** Every node's client URL, comma-separated (NATS_URL of the services). */
  url: string;
  nodes: RunningServer[];
  /** Each node's monitoring base URL (http://host:port), same order as `nodes`. */
  monitorUrls: string[];
  /** Until every running node sees the same JetStream meta leader. */
  waitForQuorum(timeoutMs?: number): Promise<void>;
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

export async function startNatsCluster(bin: Binaries, o: NatsClusterOptions): Promise<NatsCluster> {
  if (!Number.isInteger(o.nodes) || o.nodes < 2) throw new Error(`startNatsCluster: need at least 2 nodes, got ${o.nodes}`);
  const host = o.host ?? '127.0.0.1';
  const name = o.name ?? 'voc-test';
  const ports: { client: number; http: number; route: number }[] = [];
  for (let i = 0; i < o.nodes; i++) ports.push({ client: await freePort(host), http: await freePort(host), route: await freePort(host) });
  const nodes: RunningServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    // All at once: a clustered JetStream node waits for its peers before it is healthy.
    const started = await Promise.allSettled(
      ports.map((p, i) =>
        startNats(bin, {
          host,
          port: p.client,
          httpPort: p.http,
          serverName: `${name}-${i + 1}`,
          dataDir: path.join(o.dataDir, `nats-${i + 1}`),
          cluster: { name, port: p.route, routes: ports.filter((q) => q !== p).map((q) => `nats-route://${host}:${q.route}`) },
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const monitorUrls = ports.map((p) => `http://${host}:${p.http}`);
    const cluster: NatsCluster = {
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
