/**
 * The LLM provider misbehaving, played by llm-sim restarted on its port with
 * other settings: 10 % 5xx and 10 % malformed answers throughout a run with
 * a 429 storm in the middle (the provider throttling far below the account
 * limit), and the provider down for everyone — no answer before the
 * client's timeout, connections refused, then 5xx — longer than the whole
 * retry schedule.
 */
import { ALL_LLM_STAGES, heldWork, midRun, sleep, type ScenarioDef } from '../scenario';
import { outage } from './outage';

const FAULTY = { errorRate: 0.1, malformedRate: 0.1 };
/** The storm: the provider answers 429 above this many requests a second (the fleet sends up to MAX_API_RPS). */
const STORM_RPS = 20;
const STORM_MS = 8000;
/** An answer time no client waits for (LLM_TIMEOUT_MS is far below). */
const NO_ANSWER_MS = 600_000;

const sec = (ms: number) => `${Math.round(ms / 1000)} s`;

export function llmScenarios(): ScenarioDef[] {
  return [
    {
      id: 'llm-faults',
      name: 'LLM 5xx + malformed + 429 storm',
      bench: 'cluster',
      fault: () =>
        `llm-sim at ${FAULTY.errorRate * 100} % 5xx and ${FAULTY.malformedRate * 100} % malformed answers for the whole run, ` +
        `with a ${STORM_MS / 1000} s 429 storm (provider limit ${STORM_RPS}/s) mid-run`,
      // Every extra call answers a fault: the fault answers are the bound.
      redo: () => [],
      acceptance: {},
      recoverMs: 150_000,
      run: async (ctx) => {
        await ctx.bench.switchSim('faulty', FAULTY);
        ctx.faultStarts();
        for (let i = 0; i < 3; i++) ctx.work.addProduct(100, { bullets: i === 0 });
        await ctx.work.upload(ctx.bench.gw, ctx.work.products);
        await midRun(ctx, 'translated', ctx.rng.between(0.3, 0.6));
        await ctx.bench.switchSim('storm', { ...FAULTY, rpsLimit: STORM_RPS });
        await sleep(STORM_MS);
        await ctx.bench.switchSim('faulty', FAULTY);
        ctx.faultEnds();
      },
    },
    {
      id: 'llm-down',
      name: 'LLM provider down',
      bench: 'cluster',
      fault: (s) =>
        `llm-sim down for everyone mid-run for ${sec(s.llmDown.ms)} (20 % of it no answer before the client's timeout, 20 % ` +
        `connections refused, then 5xx), longer than ${s.llmDown.why}; uploads go on meanwhile`,
      redo: (p) => heldWork(ALL_LLM_STAGES, p),
      acceptance: { allGoodDone: true, dlqEmpty: true },
      recoverMs: 180_000,
      run: (ctx) => {
        const L = ctx.schedule.llmDown.ms;
        // Timeouts and refused connections first, then 5xx: every kind of failure, and the fast ones last
        // (a backlog of messages cycles through its deliveries fastest when each attempt fails at once).
        return outage(
          ctx,
          L,
          () => ctx.bench.switchSim('down', { latencyMs: NO_ANSWER_MS, jitterMs: 0 }),
          () => ctx.bench.switchSim('normal'),
          [
            { atMs: L * 0.2, run: () => ctx.bench.switchSim('stopped') },
            { atMs: L * 0.4, run: () => ctx.bench.switchSim('down', { errorRate: 1 }) },
          ],
        );
      },
      restore: (ctx) => ctx.bench.switchSim('normal'),
    },
  ];
}
