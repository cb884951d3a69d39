/**
 * NATS: every node reachable with the credentials, JetStream answering, the
 * cluster big enough for NATS_REPLICAS, and the streams' replicas current.
 */
import { connect, type NatsConnection } from 'nats';
import { fail, ok, warn, type CheckResult } from '../report';
import type { Targets } from '../targets';

async function connectTo(servers: string[], t: Targets['nats'], timeoutMs: number): Promise<NatsConnection> {
  return connect({
    servers,
    user: t.user,
    pass: t.password,
    name: 'voc-doctor',
    timeout: timeoutMs,
    reconnect: false,
    waitOnFirstConnect: false,
  });
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err)) || String(err);

/** A majority of n: how many nodes a replicated stream needs to accept writes. */
export const quorum = (n: number): number => Math.floor(n / 2) + 1;

export async function checkNats(t: Targets['nats'], replicas: number, timeoutMs: number): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const reached = new Map<string, string>(); // server name -> cluster
  for (const s of t.servers) {
    const check = `nats ${s.label}`;
    try {
      const nc = await connectTo([s.url], t, timeoutMs);
      const info = nc.info;
      await nc.close();
      if (!info) {
        results.push(fail(check, `${s.url}: connected, but the server sent no INFO`));
        continue;
      }
      reached.set(info.server_name, info.cluster ?? '');
      const cluster = info.cluster ? `cluster ${info.cluster}` : 'no cluster';
      if (!info.jetstream) results.push(fail(check, `${s.url}: server ${info.server_name} ${info.version} has JetStream disabled`));
      else results.push(ok(check, `${s.url}: server ${info.server_name} ${info.version}, ${cluster}, JetStream enabled`));
    } catch (err) {
      results.push(fail(check, `${s.url}: ${message(err)}`));
    }
  }

  const nodes = reached.size;
  const clusters = new Set(reached.values());
  if (clusters.size > 1) results.push(fail('nats cluster', `the nodes belong to different clusters: ${[...clusters].join(', ')}`));
  else if (nodes >= replicas) results.push(ok('nats cluster', `${nodes} of ${t.servers.length} nodes reachable; streams want ${replicas} replicas`));
  else if (nodes >= quorum(replicas)) {
    results.push(warn('nats cluster', `${nodes} of ${t.servers.length} nodes reachable: R${replicas} streams work, but one more loss stops them`));
  } else results.push(fail('nats cluster', `${nodes} of ${t.servers.length} nodes reachable: R${replicas} streams need ${quorum(replicas)}`));

  if (nodes === 0) return results;
  let nc: NatsConnection | undefined;
  try {
    nc = await connectTo(t.servers.map((s) => s.url), t, timeoutMs);
    const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
    const account = await jsm.getAccountInfo();
    results.push(ok('nats jetstream', `answering: ${account.streams} streams, ${account.consumers} consumers`));
    const streams = await jsm.streams.list().next();
    if (streams.length === 0) {
      results.push(warn('nats streams', 'none yet: the services create them at start-up'));
    } else {
      const wrongReplicas = streams.filter((s) => s.config.num_replicas !== replicas).map((s) => `${s.config.name} R${s.config.num_replicas}`);
      const offline = streams.flatMap((s) => (s.cluster?.replicas ?? []).filter((r) => r.offline || !r.current).map((r) => `${s.config.name}@${r.name}`));
      const leaderless = streams.filter((s) => s.cluster && !s.cluster.leader).map((s) => s.config.name);
      if (leaderless.length) results.push(fail('nats streams', `no leader (no quorum): ${leaderless.join(', ')}`));
      else if (wrongReplicas.length || offline.length) {
        const parts = [
          wrongReplicas.length ? `replicas differ from NATS_REPLICAS ${replicas} (the services converge them at start-up): ${wrongReplicas.join(', ')}` : '',
          offline.length ? `replicas offline or behind: ${offline.join(', ')}` : '',
        ].filter(Boolean);
        results.push(warn('nats streams', parts.join('; ')));
      } else results.push(ok('nats streams', `${streams.length} streams, R${replicas}, every replica current`));
    }
  } catch (err) {
    results.push(fail('nats jetstream', `JetStream does not answer (no meta leader?): ${message(err)}`));
  } finally {
    await nc?.close();
  }
  return results;
}
