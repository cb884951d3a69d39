/**
 * The servers under the pipeline failing mid-run: PostgreSQL down and
 * PostgreSQL hung (each longer than the whole retry schedule, with uploads
 * accepted meanwhile), Redis killed and restarted from its append-only
 * file, NATS killed and restarted.
 */
import { ALL_LLM_STAGES, heldWork, midRun, sleep, type ScenarioDef } from '../scenario';
import { outage } from './outage';

const sec = (ms: number) => `${Math.round(ms / 1000)} s`;

export function serverScenarios(): ScenarioDef[] {
  return [
    {
      id: 'redis-restart',
      name: 'Redis restarted (AOF)',
      bench: 'main',
      fault: () => 'SIGKILL of Redis mid-run, started again 2 s later from its append-only file (limiter, label cache, sweeper lock)',
      redo: (p) => heldWork(ALL_LLM_STAGES, p),
      acceptance: {},
      recoverMs: 150_000,
      run: async (ctx) => {
        for (let i = 0; i < 3; i++) ctx.work.addProduct(100, { bullets: i === 0 });
        await ctx.work.upload(ctx.bench.gw, ctx.work.products);
        await midRun(ctx, 'insights', ctx.rng.between(0.1, 0.4));
        const redis = ctx.bench.p.stack.redis!;
        ctx.faultStarts();
        await redis.kill('SIGKILL');
        await sleep(2000);
        await redis.start();
        ctx.faultEnds();
      },
      restore: async (ctx) => ctx.bench.p.stack.redis!.start(),
    },
    {
      id: 'nats-restart',
      name: 'NATS restarted',
      bench: 'main',
      fault: () => 'SIGKILL of the NATS server mid-run, started again 2 s later on its JetStream data',
      redo: (p) => heldWork(ALL_LLM_STAGES, p),
      acceptance: {},
      recoverMs: 150_000,
      run: async (ctx) => {
        for (let i = 0; i < 3; i++) ctx.work.addProduct(100, { bullets: i === 0 });
        await ctx.work.upload(ctx.bench.gw, ctx.work.products);
        await midRun(ctx, 'translated', ctx.rng.between(0.2, 0.6));
        const nats = ctx.bench.p.stack.nats[0]!;
        ctx.faultStarts();
        await nats.kill('SIGKILL');
        await sleep(2000);
        await nats.start();
        ctx.faultEnds();
      },
      restore: async (ctx) => ctx.bench.p.stack.nats[0]!.start(),
    },
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
