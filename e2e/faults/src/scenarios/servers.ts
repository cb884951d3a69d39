/**
 * The servers under the pipeline failing mid-run: PostgreSQL down and
 * PostgreSQL hung (each longer than the whole retry schedule, with uploads
 * accepted meanwhile), Redis killed and restarted from its append-only
 * file, NATS killed and restarted.
 */
import type { Progress } from '../bench';
import { ALL_LLM_STAGES, heldWork, midRun, sleep, type ScenarioContext, type ScenarioDef } from '../scenario';
import { outage } from './outage';

const sec = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * A server SIGKILLed mid-run (when the named progress reaches a random share
 * between the two bounds) and started again 2 s later on its own data.
 */
function serverRestart(o: {
  id: string;
  name: string;
  fault: string;
  at: [keyof Progress, number, number];
  server: (ctx: ScenarioContext) => { kill(signal: NodeJS.Signals): Promise<unknown>; start(): Promise<unknown> };
}): ScenarioDef {
  return {
    id: o.id,
    name: o.name,
    bench: 'main',
    fault: () => o.fault,
    redo: (p) => heldWork(ALL_LLM_STAGES, p),
    acceptance: {},
    recoverMs: 150_000,
    run: async (ctx) => {
      for (let i = 0; i < 3; i++) ctx.work.addProduct(100, { bullets: i === 0 });
      await ctx.work.upload(ctx.bench.gw, ctx.work.products);
      const [progress, from, to] = o.at;
      await midRun(ctx, progress, ctx.rng.between(from, to));
      const server = o.server(ctx);
      ctx.faultStarts();
      await server.kill('SIGKILL');
      await sleep(2000);
      await server.start();
      ctx.faultEnds();
    },
    restore: async (ctx) => {
      await o.server(ctx).start();
    },
  };
}

export function serverScenarios(): ScenarioDef[] {
  return [
    serverRestart({
      id: 'redis-restart',
      name: 'Redis restarted (AOF)',
      fault: 'SIGKILL of Redis mid-run, started again 2 s later from its append-only file (limiter, label cache, sweeper lock)',
      at: ['insights', 0.1, 0.4],
      server: (ctx) => ctx.bench.p.stack.redis!,
    }),
    serverRestart({
      id: 'nats-restart',
      name: 'NATS restarted',
      fault: 'SIGKILL of the NATS server mid-run, started again 2 s later on its JetStream data',
      at: ['translated', 0.2, 0.6],
      server: (ctx) => ctx.bench.p.stack.nats[0]!,
    }),
    {
      id: 'pg-down',
      name: 'PostgreSQL down',
      // On the cluster bench, while the main one runs its kills: the two long outages then overlap.
      bench: 'cluster',
      fault: (s) => `PostgreSQL stopped (fast shutdown) mid-run for ${sec(s.pgDown.ms)}, longer than ${s.pgDown.why}; uploads go on meanwhile`,
      redo: (p) => heldWork(ALL_LLM_STAGES, p),
      acceptance: { allGoodDone: true, dlqEmpty: true },
      recoverMs: 180_000,
      run: (ctx) => {
        const pg = ctx.bench.p.stack.postgres!;
        return outage(ctx, ctx.schedule.pgDown.ms, () => pg.stop(), () => pg.start());
      },
      restore: async (ctx) => ctx.bench.p.stack.postgres!.start(),
    },
    {
      id: 'pg-hung',
      name: 'PostgreSQL hung',
      bench: 'main',
      fault: (s) =>
        `PostgreSQL and its backends SIGSTOPped mid-run (connections accepted, nothing answered) for ${sec(s.pgHung.ms)}, longer than ${s.pgHung.why}; uploads go on meanwhile`,
      redo: (p) => heldWork(ALL_LLM_STAGES, p),
      acceptance: { allGoodDone: true, dlqEmpty: true },
      recoverMs: 180_000,
      run: (ctx) => {
        const pg = ctx.bench.p.stack.postgres!;
        return outage(
          ctx,
          ctx.schedule.pgHung.ms,
          async () => pg.pause(),
          async () => pg.resume(),
        );
      },
      restore: async (ctx) => {
        const pg = ctx.bench.p.stack.postgres!;
        if (pg.paused) pg.resume();
      },
    },
  ];
}
