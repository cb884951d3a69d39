/**
 * The shape of every long outage: two products uploaded, the fault injected
 * mid-translation, two more products uploaded while it lasts (their INGEST
 * messages wait out all of it), the dependency back after `lengthMs`.
 */
import { midRun, sleep, type ScenarioContext } from '../scenario';

/** What each outage scenario uploads: two products before the fault, two more while it lasts. */
const BEFORE: [number, number] = [2, 120];
const DURING: [number, number] = [2, 60];

export async function outage(
  ctx: ScenarioContext,
  lengthMs: number,
  begin: () => Promise<void>,
  end: () => Promise<void>,
  /** Changes during the outage, each at a time since it began (e.g. 5xx, then timeouts). */
  phases: { atMs: number; run: () => Promise<void> }[] = [],
): Promise<void> {
  for (let i = 0; i < BEFORE[0]; i++) ctx.work.addProduct(BEFORE[1], { bullets: i === 0 });
  await ctx.work.upload(ctx.bench.gw, ctx.work.products);
  await midRun(ctx, 'translated', ctx.rng.between(0.2, 0.5));
  ctx.faultStarts();
  const started = Date.now();
  await begin();
  // Uploads go on (the gateway needs only NATS): their INGEST messages wait out the whole outage.
  const late = [];
  for (let i = 0; i < DURING[0]; i++) late.push(ctx.work.addProduct(DURING[1]));
  await ctx.work.upload(ctx.bench.gw, late);
  ctx.note(`${late.length} products uploaded during the outage`);
  for (const ph of phases) {
    await sleep(Math.max(0, ph.atMs - (Date.now() - started)));
    await ph.run();
  }
  await sleep(Math.max(0, lengthMs - (Date.now() - started)));
  await end();
  ctx.faultEnds();
}

