/**
 * SIGKILL of one service at a random point of a run, then started again as
 * compose's restart policy would. What it held comes back to the fleet after
 * its consumer's ack_wait (30 s); the gateway's clients retry the uploads it
 * dropped; report-svc's reports are built after its restart.
 */
import type { ServiceName } from '@voc/config';
import { heldWork, midRun, sleep, type ScenarioContext, type ScenarioDef } from '../scenario';

/** Down this long before the restart (compose restarts at once; a second makes the gap visible). */
const DOWN_MS = 1000;
const RECOVER_MS = 150_000;

async function killAndRestart(ctx: ScenarioContext, name: ServiceName): Promise<void> {
  const held = await ctx.bench.heldBy(name);
  ctx.faultStarts();
  await ctx.bench.kill(name);
  ctx.note(`${name} killed holding ${held ?? '?'} messages`);
  await sleep(DOWN_MS);
  await ctx.bench.restart(name);
  ctx.faultEnds();
}

/** The kill lands when `stage` has done a random 20–60 % of the scenario's reviews. */
function atStage(stage: 'stored' | 'translated' | 'insights' | 'themes') {
  return async (ctx: ScenarioContext, name: ServiceName, send: Promise<unknown>) => {
    await midRun(ctx, stage, ctx.rng.between(0.2, 0.6));
    await killAndRestart(ctx, name);
    await send;
  };
}

interface KillPlan {
  name: ServiceName;
  /** Products × reviews each (one upload each); bullet points on the first. */
  products: [number, number];
  uploadConcurrency: number;
  redo: ScenarioDef['redo'];
  /** Sends the uploads (the promise) and kills the service at its moment. */
  strike(ctx: ScenarioContext, name: ServiceName, send: Promise<unknown>): Promise<void>;
}

const PLANS: KillPlan[] = [
  {
    name: 'gateway',
    products: [8, 40],
    uploadConcurrency: 3,
    redo: () => [],
    // Mid-upload: after a random 2–4 of the 8 uploads got their 202; the others are refused or cut off and retried.
    strike: async (ctx, name, send) => {
      const after = ctx.rng.int(2, 4);
      await ctx.bench.until(`${after} uploads accepted`, async () => ctx.work.messages.length >= after, 60_000, 20);
      ctx.note(`killed after ${ctx.work.messages.length} of 8 uploads were accepted`);
      await killAndRestart(ctx, name);
      await send;
    },
  },
  { name: 'ingest-svc', products: [8, 40], uploadConcurrency: 8, redo: () => [], strike: atStage('stored') },
  { name: 'translate-svc', products: [3, 120], uploadConcurrency: 3, redo: (p) => heldWork(['translate'], p), strike: atStage('translated') },
  {
    name: 'learning-svc',
    products: [6, 40],
    uploadConcurrency: 6,
    redo: (p) => heldWork(['learning'], p),
    // While it holds a LEARNING message (insight-svc and theme-svc may take some as its backup).
    strike: async (ctx, name, send) => {
      const holds = await ctx.bench.until(`${name} holding a message`, async () => ((await ctx.bench.heldBy(name)) ?? 0) > 0, 60_000, 50);
      if (!holds) ctx.note(`${name} was never seen holding a message; killed anyway`);
      await killAndRestart(ctx, name);
      await send;
    },
  },
  { name: 'insight-svc', products: [3, 120], uploadConcurrency: 3, redo: (p) => heldWork(['insight', 'learning'], p), strike: atStage('insights') },
  { name: 'theme-svc', products: [3, 120], uploadConcurrency: 3, redo: (p) => heldWork(['theme', 'learning'], p), strike: atStage('themes') },
];

export function killScenarios(): ScenarioDef[] {
  const defs: ScenarioDef[] = PLANS.map((k) => ({
    id: `kill-${k.name.replace(/-svc$/, '')}`,
    name: `SIGKILL ${k.name}`,
    bench: 'main',
    fault: () => `SIGKILL of ${k.name} at a random point of the run, started again ${DOWN_MS / 1000} s later`,
    redo: k.redo,
    acceptance: {},
    recoverMs: RECOVER_MS,
    run: async (ctx) => {
      const [count, size] = k.products;
      for (let i = 0; i < count; i++) ctx.work.addProduct(size, { bullets: i === 0 });
      const send = ctx.work.upload(ctx.bench.gw, ctx.work.products, k.uploadConcurrency);
      // Awaited by strike(); until then a failed upload must not be an unhandled rejection.
      send.catch(() => undefined);
      await k.strike(ctx, k.name, send);
    },
  }));
  defs.push(reportKill());
  return defs;
}

/**
 * How many reports the scenario asks for (report-svc holds CONCURRENCY 4 at
 * once): one per product, each product small, since the gateway answers a
 * second request for unchanged data with the report it already has.
 */
const REPORTS = 30;
const REVIEWS_PER_REPORT = 4;
/** For the 30 products to be learned and analysed before the reports: 120 s was not enough on the loaded 2-core machine. */
const PREPARE_MS = 300_000;

function reportKill(): ScenarioDef {
  return {
    id: 'kill-report',
    name: 'SIGKILL report-svc',
    // On the cluster bench, which has time to spare while the main one runs its kills.
    bench: 'cluster',
    fault: () => `SIGKILL of report-svc while it builds ${REPORTS} reports, started again ${DOWN_MS / 1000} s later`,
    redo: () => [],
    acceptance: { reportsReady: true },
    recoverMs: RECOVER_MS,
    run: async (ctx) => {
      for (let i = 0; i < REPORTS; i++) ctx.work.addProduct(REVIEWS_PER_REPORT);
      await ctx.work.upload(ctx.bench.gw, ctx.work.products);
      if (!(await ctx.waitFinal(PREPARE_MS))) throw new Error('the products were not analysed before the reports');
      const requests = ctx.work.asins.map((asin) =>
        ctx.bench.gw.request<{ reportId: string; existing?: boolean }>('POST', `/v1/products/${asin}/reports`).then((r) => {
          if (r.status !== 202) throw new Error(`POST reports answered ${r.status}`);
          if (r.body.existing) throw new Error(`POST reports of ${asin} answered an existing report`);
          ctx.reports.push(r.body.reportId);
        }),
      );
      await Promise.all(requests);
      const after = ctx.rng.int(2, 8);
      const ready = async () =>
        Number((await ctx.bench.pool.query<{ n: string }>(`SELECT count(*) AS n FROM reports WHERE id = ANY($1::text[]) AND status = 'ready'`, [ctx.reports])).rows[0]?.n ?? 0);
      await ctx.bench.until(`${after} reports ready`, async () => (await ready()) >= after, 60_000, 20);
      ctx.note(`killed with ${await ready()} of ${REPORTS} reports ready`);
      await killAndRestart(ctx, 'report-svc');
      await ctx.bench.until('every report ready', async () => (await ready()) === REPORTS, RECOVER_MS, 500);
    },
  };
}
