/**
 * One node of a three-node NATS cluster (streams R3, as on the production
 * hosts) SIGKILLed under load: the node most of the services are connected
 * to, so their pull consumers lose their server. The work must go on: no
 * stage may stand still more than 5 s while it has reviews waiting. The node
 * comes back once the work is done and must rejoin the cluster.
 *
 * A stall is measured on the consumers (their deliveries, looked at every
 * 250 ms): time with messages waiting, room in the consuming service
 * (fewer held than its CONCURRENCY), and nothing delivered, while the
 * consumer answers; its time without a leader is bounded apart
 * (MAX_LEADERLESS_MS). Gaps in the
 * stages' completions are printed beside it; they also count a stage busy
 * with chunks of 100 reviews on a loaded machine, which is no stall.
 */
import { ALL_LLM_STAGES, heldWork, midRun, type ScenarioContext, type ScenarioDef } from '../scenario';

export const MAX_STALL_MS = 5000;
/**
 * A consumer whose leader was on the lost node has none until nats-server
 * elects another: a follower waits a random 4–9 s after the last heartbeat
 * (1 s apart) before it campaigns (server/raft.go; not configurable), then
 * the vote, then our look (every 250 ms, 1 s timeout): about 12 s at worst
 * with one round, 15 s with a margin for a loaded machine. No client can
 * deliver from a consumer without a leader, so this time is checked on its
 * own and the 5 s bound applies to the time the consumer answered.
 */
export const MAX_LEADERLESS_MS = 15_000;

/** Per node, how many of the services' connections it holds (from its /connz). */
async function serviceConnections(ctx: ScenarioContext): Promise<number[]> {
  const cluster = ctx.bench.p.stack.natsCluster!;
  return Promise.all(
    cluster.monitorUrls.map(async (url) => {
      const res = await fetch(`${url}/connz?limit=1024`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { connections?: { name?: string }[] };
      return (body.connections ?? []).filter((c) => /-svc@/.test(c.name ?? '') || /^gateway@/.test(c.name ?? '')).length;
    }),
  );
}

export function clusterScenario(): ScenarioDef {
  return {
    id: 'nats-node-loss',
    name: 'NATS node lost (3-node cluster)',
    bench: 'cluster',
    after: 'pg-hung',
    fault: () => 'SIGKILL of the cluster node most services are connected to, mid-run; it comes back once the work is done',
    redo: (p) => heldWork(ALL_LLM_STAGES, p),
    acceptance: { maxStallMs: MAX_STALL_MS, maxLeaderlessMs: MAX_LEADERLESS_MS },
    recoverMs: 180_000,
    run: async (ctx) => {
      const cluster = ctx.bench.p.stack.natsCluster;
      if (!cluster) throw new Error('this scenario needs the cluster bench');
      for (let i = 0; i < 4; i++) ctx.work.addProduct(150, { bullets: i === 0 });
      await ctx.work.upload(ctx.bench.gw, ctx.work.products);
      ctx.watchConsumers(['INGEST', 'TRANSLATE', 'INSIGHT', 'THEME']);
      await midRun(ctx, 'translated', ctx.rng.between(0.2, 0.4));
      const counts = await serviceConnections(ctx);
      const victim = counts.indexOf(Math.max(...counts));
      ctx.faultStarts();
      await cluster.nodes[victim]!.kill('SIGKILL');
      ctx.note(`node ${victim + 1} of 3 killed, holding ${counts[victim]} of the services' ${counts.reduce((a, b) => a + b, 0)} connections`);
      // The loss is instantaneous: recovery (and stalls) are timed from the kill.
      ctx.faultEnds();
      await ctx.waitFinal(180_000);
      await cluster.nodes[victim]!.start();
      await cluster.waitForQuorum(60_000);
      ctx.note('the node rejoined the cluster');
    },
    restore: async (ctx) => {
      const cluster = ctx.bench.p.stack.natsCluster;
      for (const n of cluster?.nodes ?? []) await n.start();
    },
  };
}
