/**
 * The run itself, inside server A's network namespace (run.ts starts it
 * there): the plug-ins' uploads and the operator's checks. Steps:
 *
 *  1. servers: PostgreSQL + Redis on A, NATS JetStream R3 over both hosts; the
 *     compose file's one-shot migration;
 *  2. every service of infra/server-a (with the `sim` profile: llm-sim is the
 *     LLM) and infra/server-b as processes with their compose environment;
 *  3. upload the first wave through A's gateway; wait until B is busy at
 *     every one of its stages;
 *  4. SIGKILL every process of B (services and NATS node); upload the second
 *     wave (a new product among it) and see A translate and learn alone;
 *  5. start B again; wait until every review is through every stage;
 *  6. audit the database, print the figures, write bench/results/two-hosts-<ts>.json.
 *
 * Options (all optional):
 *   --products N        products uploaded (default 6: five in both waves, one only while B is down)
 *   --max-reviews N     reviews per product at most (default 500)
 *   --latency-ms N      llm-sim mean answer time (default: llm-sim's own, 300 ± 100 ms; setting it is a deviation)
 *   --outage-s N        B stays down at least this long (default 30)
 *   --timeout-s N       time allowed to finish after B is back (default 300)
 *   --env KEY=VALUE     add a variable to every service (repeatable; an experiment, recorded as a deviation)
 *   --keep              keep the data and logs directory even when every check passed
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayClient, loadReviewsByProduct, reviewDataPath, ROOT } from '@voc/e2e';
import type { SimStatsSnapshot } from '@voc/llm-sim';
import { ensureBinaries } from '@voc/local-stack';
import { loadDeployment, withServiceEnv, withSimLatency, type Deployment } from './deployment';
import { computeFigures, formatReport, type Observations } from './figures';
import { HostServices, runOneShot } from './hosts';
import { Infrastructure } from './infrastructure';
import { Database } from './integrity';
import { Observer } from './observer';
import { planUploads, sendUploads, type UploadOutcome } from './uploads';

interface Options {
  products: number;
  maxReviews: number;
  latencyMs: number | undefined;
  outageS: number;
  timeoutS: number;
  keep: boolean;
  env: Record<string, string>;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      products: { type: 'string' },
      'max-reviews': { type: 'string' },
      'latency-ms': { type: 'string' },
      'outage-s': { type: 'string' },
      'timeout-s': { type: 'string' },
      keep: { type: 'boolean' },
      env: { type: 'string', multiple: true },
    },
  });
  const int = (flag: string, raw: string | undefined, def: number, min: number) => {
    const n = raw === undefined ? def : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected an integer >= ${min}, got ${raw}`);
    return n;
  };
  return {
    products: int('products', values.products, 6, 2),
    maxReviews: int('max-reviews', values['max-reviews'], 500, 1),
    latencyMs: values['latency-ms'] === undefined ? undefined : int('latency-ms', values['latency-ms'], 0, 0),
    outageS: int('outage-s', values['outage-s'], 30, 1),
    timeoutS: int('timeout-s', values['timeout-s'], 300, 10),
    keep: values.keep ?? false,
    env: Object.fromEntries(
      (values.env ?? []).map((kv) => {
        const eq = kv.indexOf('=');
        if (eq < 1) throw new Error(`--env: expected KEY=VALUE, got ${kv}`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
    ),
  };
}

const t0 = Date.now();
const say = (msg: string) => process.stdout.write(`[two-hosts ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until `done`, or `timeoutMs`; returns whether it was done. */
async function until(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** llm-sim's GET /stats (contract C6): every request it received, and the busiest sliding second. */
class SimClient {
  constructor(private readonly baseUrl: string) {}

  async stats(): Promise<SimStatsSnapshot> {
    const res = await fetch(`${this.baseUrl}/stats`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`llm-sim GET /stats answered ${res.status}`);
    return (await res.json()) as SimStatsSnapshot;
  }
}

class Run {
  infra?: Infrastructure;
  hosts: HostServices[] = [];
  db?: Database;
  private stopped = false;

  constructor(
    readonly opts: Options,
    readonly dep: Deployment,
    readonly dataDir: string,
  ) {}

  get a(): HostServices {
    return this.hosts[0]!;
  }

  get b(): HostServices {
    return this.hosts[1]!;
  }

  /** Stops everything that was started, services first (they drain), servers last. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.db?.close().catch(() => undefined);
    await Promise.all(this.hosts.map((h) => h.stop()));
    await this.infra?.stop();
  }
}

async function main(run: Run): Promise<boolean> {
  const { dep, opts } = run;
  const logDir = path.join(run.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  say(`compose files: ${dep.sources.join(', ')}; data and logs in ${run.dataDir}`);
  for (const d of dep.deviations) say(`deviation from the compose files: ${d}`);

  // 1. Servers, then the schema.
  const bin = ensureBinaries(say);
  run.infra = await Infrastructure.start(
    bin,
    { dataDir: run.dataDir, serverA: dep.serverA.host, postgres: dep.postgres, redis: dep.redis, nats: dep.nats },
    say,
  );
  for (const shot of dep.oneShots) {
    const out = await runOneShot(ROOT, shot);
    say(`${shot.host.role}/${shot.name}: ${out.split('\n')[0] ?? ''}`);
  }
  run.db = await Database.connect(run.infra.databaseUrl);

  // 2. Both hosts' services (llm-sim among A's: the 'sim' profile).
  const sim = new SimClient(`http://${dep.llm.host}:${dep.llm.port}`);
  run.hosts = [new HostServices(dep.serverA, ROOT, logDir, say), new HostServices(dep.serverB, ROOT, logDir, say)];
  await Promise.all(run.hosts.map((h) => h.start(180_000)));
  for (const h of run.hosts) say(`${h.plan.host.role}: ${h.plan.services.map((s) => s.name).join(', ')} ready`);
  const gw = new GatewayClient(dep.gateway.url, dep.gateway.apiKey);
  await waitForSteadyFleet(run.hosts, gw);

  const observer = new Observer();
  const allApps = () => run.hosts.flatMap((h) => h.apps);
  const db = run.db;

  // The plug-ins' uploads.
  const file = reviewDataPath();
  const plan = planUploads(loadReviewsByProduct(file), { products: opts.products, maxPerProduct: opts.maxReviews, firstShare: 0.7, chunkSize: 100 });
  const firstCount = plan.first.reduce((n, c) => n + c.reviews.length, 0);
  say(`data ${path.relative(ROOT, file)}: ${plan.keys.size} reviews of ${plan.asins.join(', ')}; ${firstCount} before B dies, the rest while it is down`);

  const progress = setInterval(() => {
    void (async () => {
      await observer.scrapeAll(allApps());
      const last = await db.stageCounts();
      const s = await sim.stats();
      say(
        `stored ${last.stored}, translated ${last.translated}, insights ${last.insightsDone}, themes ${last.themesDone}, learned ${last.learnedProducts} | ` +
          `TRANSLATE msgs A ${observer.messages('server-a', 'TRANSLATE')} B ${observer.messages('server-b', 'TRANSLATE')} | LLM ${s.requests} req, busiest 1 s ${s.maxRequestsIn1s}`,
      );
    })().catch((e: unknown) => say(`progress probe failed: ${(e as Error).message}`));
  }, 5000);
  let outageOver = false;

  try {
    // 3. First wave, both hosts up.
    const start = Date.now();
    const first = await sendUploads(gw, plan.first, 4, 60_000);
    reportUploads('first wave', first);
    // Without the first wave there is nothing for B to be busy with: stop here, the figures would mean nothing.
    if (first.accepted !== first.sent) throw new Error(`the first wave was not accepted (${first.accepted}/${first.sent} uploads)`);
    const busy = await until(async () => {
      await observer.scrapeAll(allApps());
      const c = await db.stageCounts();
      // Mid-run: B has done a fair share of every one of its stages, and much is left.
      return (
        observer.messages('server-b', 'TRANSLATE') >= 50 &&
        observer.llmAnswers('server-b', 'INSIGHT') >= 300 &&
        observer.llmAnswers('server-b', 'THEME') >= 300 &&
        c.insightsDone < c.stored * 0.6
      );
    }, 150_000);
    if (!busy) say('B never got busy at every stage before the deadline; killing it anyway');

    // 4. Server B dies: every process of it at once, NATS node included.
    await observer.scrapeAll(run.b.apps);
    await observer.scrapeAll(run.a.apps);
    const before = await db.stageCounts();
    const aTranslateBefore = observer.messages('server-a', 'TRANSLATE');
    const bTranslateBefore = observer.messages('server-b', 'TRANSLATE');
    const aLearningBefore = observer.messages('server-a', 'LEARNING');
    const bKilledAt = Date.now() - start;
    await Promise.all([run.b.kill(), run.infra.killNatsOn('server-b')]);
    say(`server B killed (SIGKILL: ${run.b.plan.services.map((s) => s.name).join(', ')}, NATS ${run.infra.nodesOn('server-b').map((n) => n.name).join(', ')})`);

    const outageStart = Date.now();
    // A's longest pause in translating while there was translation to do: after a node dies, A's
    // consumers must find the new stream and consumer leaders.
    const stallWatch = watchStalls(
      async () => {
        await observer.scrape(run.a.apps.find((x) => x.service === 'translate-svc')!);
        const c = await db.stageCounts();
        return { done: observer.messages('server-a', 'TRANSLATE'), pending: c.stored - c.translated };
      },
      () => outageOver,
    );
    // Awaited below; until then a failure must not become an unhandled rejection.
    stallWatch.catch(() => undefined);
    const second = await sendUploads(gw, plan.second, 4, 90_000);
    reportUploads('second wave (B down)', second);
    await until(async () => {
      await observer.scrapeAll(run.a.apps);
      return (
        Date.now() - outageStart >= opts.outageS * 1000 &&
        observer.messages('server-a', 'TRANSLATE') > aTranslateBefore &&
        observer.messages('server-a', 'LEARNING') > aLearningBefore
      );
    }, Math.max(opts.outageS * 1000, 180_000));
    await observer.scrapeAll(run.a.apps);
    const after = await db.stageCounts();
    const aTranslateAfter = observer.messages('server-a', 'TRANSLATE');
    const aLearningAfter = observer.messages('server-a', 'LEARNING');
    say(`while B was down: translated ${before.translated} -> ${after.translated}, A's TRANSLATE messages ${aTranslateBefore} -> ${aTranslateAfter}, A's LEARNING messages ${aLearningBefore} -> ${aLearningAfter}`);

    outageOver = true;
    const aLongestStallMs = await stallWatch;
    say(`A's longest pause in translating (with translation pending) while B was down: ${(aLongestStallMs / 1000).toFixed(1)} s`);

    // 5. Server B comes back.
    await run.infra.restartNatsOn('server-b');
    await run.b.start(180_000);
    const bBackAt = Date.now() - start;
    say('server B is back (NATS node rejoined, services ready)');

    const finished = await until(async () => {
      const c = await db.stageCounts();
      return c.stored === plan.keys.size && c.translated === c.stored && c.insightsDone === c.stored && c.themesDone === c.stored;
    }, opts.timeoutS * 1000, 2000);
    const finishedAt = finished ? Date.now() - start : null;
    say(finished ? 'every review is through every stage' : `not finished after ${opts.timeoutS} s`);

    // 6. The verdict.
    clearInterval(progress);
    await observer.scrapeAll(allApps());
    const queues = await gw.request<{ dlq: { total: number } }>('GET', '/v1/queues');
    if (queues.status !== 200) throw new Error(`GET /v1/queues answered ${queues.status}: ${JSON.stringify(queues.body).slice(0, 300)}`);
    const simStats = await sim.stats();
    const obs: Observations = {
      maxApiRps: dep.maxApiRps,
      products: plan.asins.length,
      timeline: { bKilledAt, bBackAt, finishedAt },
      work: observer.workShare(),
      restarts: { 'server-a': run.a.restarts(), 'server-b': run.b.restarts() },
      bothUp: { aTranslate: aTranslateBefore, bTranslate: bTranslateBefore },
      firstWave: { sent: first.sent, accepted: first.accepted },
      sim: {
        requests: simStats.requests,
        maxRequestsIn1s: simStats.maxRequestsIn1s,
        rejected429: simStats.rejected429,
        errors5xx: simStats.errors5xx,
        accountLimit: dep.llm.accountLimit,
        eventLoopLagMaxMs: observer.eventLoopLagMaxMs('llm-sim'),
      },
      outage: {
        uploadsSent: second.sent,
        uploadsAccepted: second.accepted,
        uploadRetries: second.retries,
        translatedBefore: before.translated,
        translatedAfter: after.translated,
        aTranslateBefore,
        aTranslateAfter,
        aLearningBefore,
        aLearningAfter,
        aLongestStallMs,
      },
      integrity: await db.audit(plan.keys, queues.body.dlq.total),
    };
    const figures = computeFigures(obs);
    process.stdout.write(`\n${formatReport(obs, figures)}\n\n`);
    const out = path.join(ROOT, 'bench', 'results', `two-hosts-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          run: 'two-hosts',
          at: new Date().toISOString(),
          options: opts,
          composeFiles: dep.sources,
          deviations: dep.deviations,
          layout: {
            'server-a': { address: dep.serverA.host.address, services: dep.serverA.services.map((s) => s.name) },
            'server-b': { address: dep.serverB.host.address, services: dep.serverB.services.map((s) => s.name) },
            nats: dep.nats.map((n) => ({ name: n.name, host: n.host.role, port: n.clientPort })),
          },
          data: { file: path.relative(ROOT, file), products: plan.asins, reviews: plan.keys.size },
          observations: obs,
          figures,
        },
        null,
        2,
      ) + '\n',
    );
    say(`figures written to ${path.relative(ROOT, out)}`);
    return figures.ok;
  } finally {
    clearInterval(progress);
    outageOver = true;
  }
}

/**
 * Polls a counter of done work and the work pending until `over()`, and
 * returns the longest time the counter stood still while work was pending.
 */
async function watchStalls(probe: () => Promise<{ done: number; pending: number }>, over: () => boolean, everyMs = 500): Promise<number> {
  let last = await probe();
  let since = Date.now();
  let longest = 0;
  while (!over()) {
    await sleep(everyMs);
    const now = await probe();
    // Moving, or nothing to do: a pause starts from here.
    if (now.done !== last.done || now.pending === 0) since = Date.now();
    else longest = Math.max(longest, Date.now() - since);
    last = now;
  }
  return longest;
}

/**
 * Until the fleet is steady: every service ready, the gateway's API answering,
 * and no service restarted in the last 5 s. A first start of a JetStream
 * cluster can time out a service's provisioning (it exits and is restarted),
 * and /readyz may answer before a service has finished starting.
 */
async function waitForSteadyFleet(hosts: HostServices[], gw: GatewayClient, timeoutMs = 120_000): Promise<void> {
  const steady = await until(async () => {
    if (Date.now() - Math.max(...hosts.map((h) => h.lastRestart)) < 5000) return false;
    if (!(await Promise.all(hosts.map((h) => h.allReady()))).every(Boolean)) return false;
    const queues = await gw.request('GET', '/v1/queues').catch(() => undefined);
    return queues?.status === 200;
  }, timeoutMs);
  if (!steady) throw new Error(`the fleet did not settle within ${timeoutMs / 1000} s (services restarting, or the gateway not answering GET /v1/queues)`);
}

function reportUploads(what: string, u: UploadOutcome): void {
  say(`${what}: ${u.accepted}/${u.sent} uploads accepted${u.retries ? `, ${u.retries} retried after 503 or a refused connection` : ''}`);
  for (const f of u.failures) say(`  upload failed: ${f}`);
}

async function entry(): Promise<number> {
  const opts = readOptions();
  const composed = withServiceEnv(loadDeployment(ROOT), opts.env);
  const dep = opts.latencyMs === undefined ? composed : withSimLatency(composed, opts.latencyMs);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'voc-two-hosts-'));
  // PostgreSQL runs as the postgres user (we are root): it must reach its data dir.
  chmodSync(dataDir, 0o755);
  const run = new Run(opts, dep, dataDir);
  let ok = false;
  const onSignal = (sig: NodeJS.Signals) => {
    say(`${sig}: stopping`);
    void run.stop().finally(() => process.exit(130));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    ok = await main(run);
  } catch (err) {
    say(`run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    say('stopping every process');
    await run.stop().catch((e: unknown) => say(`stopping failed: ${(e as Error).message}`));
  }
  if (ok && !opts.keep) rmSync(dataDir, { recursive: true, force: true });
  else say(`data and logs kept in ${dataDir}`);
  say(ok ? 'PASS: every check passed' : 'FAIL: see the checks above');
  return ok ? 0 : 1;
}

entry().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
