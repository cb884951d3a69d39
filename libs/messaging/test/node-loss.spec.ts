/**
 * NATS node loss: a runner connected to a node that stops answering (a host
 * that vanished: its TCP connections stay open, nothing comes back) notices
 * within about two seconds through the pull's idle heartbeats, moves to
 * another node and pulls again, instead of waiting out its ping timers.
 * A 3-node JetStream cluster on loopback, streams with 3 replicas.
 */
import { connect, type NatsConnection } from 'nats';
import { startNatsCluster, type NatsCluster } from '@voc/local-stack';
import { connectNats, createConsumerRunner, publish, type ConsumerRunner } from '../src/testing';
import { provisionClusterReports, registry, reportJob, retry, silentLog, waitFor } from './support';

jest.setTimeout(120_000);

describe('consumer runner on a NATS cluster', () => {
  let cluster: NatsCluster;
  let runnerNc: NatsConnection;
  let publisherNc: NatsConnection;
  let runner: ConsumerRunner | undefined;

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    const [a, b, c] = cluster.urls as [string, string, string];
    // The runner connects as every service does (but for the pings); the publisher stays away from its node.
    // Long connection pings: this test is about the pull heartbeats, which must notice on their own
    // (connection-loss.spec.ts covers the pings, which would otherwise race them).
    runnerNc = await connectNats({ url: [a, b, c], name: 'runner', log: silentLog, pingIntervalMs: 60_000, maxPingOut: 3 });
    const others = cluster.urls.filter((u) => !u.endsWith(runnerNc.getServer()));
    publisherNc = await connect({ servers: others, name: 'publisher', reconnectTimeWait: 250 });
    await provisionClusterReports(publisherNc);
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await runnerNc?.close();
    await publisherNc?.close();
    await cluster?.stop();
  });

  it('moves to another node within seconds when its node stops answering, and keeps consuming', async () => {
    const handled = new Map<string, number>();
    runner = createConsumerRunner({
      nc: runnerNc,
      queue: 'REPORT',
      concurrency: 2,
      log: silentLog,
      registry: registry(),
      handler: async (job) => {
        handled.set(job.reportId, Date.now());
      },
    });
    await runner.start();
    const js = publisherNc.jetstream();
    await retry('first publish', () => publish(js, 'REPORT', reportJob('before')));
    await waitFor('the first report', () => handled.has('r-before'), 30_000);

    // The runner's node freezes: its sockets stay open, nothing answers (as when its host drops off the network).
    const frozen = runnerNc.getServer();
    const node = cluster.nodes[cluster.urls.findIndex((u) => u.endsWith(frozen))]!;
    const frozenAt = Date.now();
    node.proc.child.kill('SIGSTOP');
    await waitFor('the runner to leave its node', () => runnerNc.getServer() !== frozen, 15_000);
    const movedMs = Date.now() - frozenAt;
    expect(runner.stats.stalledPulls).toBeGreaterThanOrEqual(1);
    // Two missed 1 s heartbeats, a 1 s ping, a reconnect: a few seconds, not the minutes of the ping timers.
    expect(movedMs).toBeLessThan(8_000);

    await retry('publish while a node is frozen', () => publish(js, 'REPORT', reportJob('after')), 30_000);
    await waitFor('the report published after the freeze', () => handled.has('r-after'), 30_000);
  });
});
