/**
 * The run itself, inside the client namespace (run.ts starts it there): the
 * operator's deployment, the plug-ins' uploads, the two host deaths and the
 * checks. Steps:
 *
 *  1. servers as the runbook deploys them: the witness, then A (the first
 *     PostgreSQL primary and Redis master), then B (their replicas); the
 *     migration; llm-sim (the provider, outside the hosts); every service of
 *     A and B; the witness's scheduled base backup;
 *  2. a steady stream of uploads to the floating address (one chunk every
 *     250 ms, each retried until its 202) and the LLM work it makes;
 *  3. A dies (cable pulled, every process killed); the failover of uploads,
 *     PostgreSQL, Redis, NATS and the floating address is timed; A stays
 *     down, then comes back and must catch up as a replica;
 *  4. the same for B;
 *  5. the uploads stop, every review must go through every stage; the audit
 *     (nothing lost, nothing duplicated), the restore drill (base backup +
 *     archived WAL into a fresh PostgreSQL, every review there);
 *  6. the table and bench/results/ha-<timestamp>.json.
 *
 * Options (all optional):
 *   --outage-s N      each server stays down at least N s (default 30)
 *   --warmup-s N      uploads before the first kill (default 20)
 *   --chunk-size N    reviews per upload (default 3)
 *   --every-ms N      the client's pause after every answer (default 250)
 *   --request-timeout-ms N   the client gives up on an answer after N ms and sends again (default 3000)
 *   --products N      products the reviews come from (default 8)
 *   --timeout-s N     time allowed to finish the work once the uploads stop (default 300)
 *   --keep            keep the data and logs directory even when every check passed
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadReviewsByProduct, reviewDataPath, ROOT } from '@voc/e2e';
import { SimClient } from '@voc/llm-sim';
import { ensureBinaries, startApp, waitReady, type RunningApp } from '@voc/local-stack';
import { PG_NODES } from '@voc/infra';
import { QUEUES } from '@voc/messaging';
import { Database, intOption, LLM_SIM_NICE, netnsPrefix, reviewKey } from '@voc/two-hosts/harness';
import { Cluster, type HostRun } from './cluster';
import { loadDeployment, type HaDeployment } from './deployment';
import { computeFigures, formatReport, type FailoverObservation, type HaObservations, type PhaseStats, type SyncWindow } from './figures';
import { timesUntil, until } from './measure';
import {
  natsClients,
  natsNodeName,
  natsState,
  patroniMembers,
  pgUrl,
  primaryHost,
  queryOnce,
  redisReplication,
  sentinelMaster,
  vipHolders,
  writesThroughHaproxy,
} from './probes';
import { HA_HOSTS, type ServerHost } from './testbed';
import { WorkWatch } from './work';
import { attemptTimeline, firstAcceptedAfter, longestGap, steadyChunks, SteadyUploader } from './uploader';

interface Options {
  outageS: number;
  warmupS: number;
  chunkSize: number;
  everyMs: number;
  requestTimeoutMs: number;
  products: number;
  timeoutS: number;
  keep: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      'outage-s': { type: 'string' },
      'warmup-s': { type: 'string' },
      'chunk-size': { type: 'string' },
      'every-ms': { type: 'string' },
      'request-timeout-ms': { type: 'string' },
      products: { type: 'string' },
      'timeout-s': { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  const int = intOption;
  return {
    outageS: int('outage-s', values['outage-s'], 30, 5),
    warmupS: int('warmup-s', values['warmup-s'], 20, 5),
    chunkSize: int('chunk-size', values['chunk-size'], 3, 1),
    everyMs: int('every-ms', values['every-ms'], 250, 10),
    requestTimeoutMs: int('request-timeout-ms', values['request-timeout-ms'], 3000, 100),
    products: int('products', values.products, 8, 1),
    timeoutS: int('timeout-s', values['timeout-s'], 300, 30),
    keep: values.keep ?? false,
  };
}

const t0 = Date.now();
const say = (msg: string) => process.stdout.write(`[ha ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsSince = (t: number) => Math.round((Date.now() - t) / 100) / 10;

/** Waits for a condition of the deployment, or fails the run naming it. */
async function need(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const start = Date.now();
  if (!(await until(probe, timeoutMs, 500))) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
  say(`${what} (${secondsSince(start)} s)`);
}

const pgName = (role: ServerHost) => PG_NODES.find((n) => n.owner === role)!.name;

class Run {
  cluster?: Cluster;
  sim?: RunningApp;
  uploader?: SteadyUploader;
  private stopped = false;

  constructor(
    readonly opts: Options,
    readonly dep: HaDeployment,
    readonly dataDir: string,
  ) {}

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.uploader?.stop(5000).catch(() => undefined);
    await this.cluster?.stop().catch((e: unknown) => say(`stopping the hosts: ${(e as Error).message}`));
    await this.sim?.stop().catch(() => undefined);
  }
}

/** The PostgreSQL primary's own URL now (the driver has no HAProxy of its own). */
async function primaryUrl(dep: HaDeployment): Promise<string | undefined> {
  const p = await primaryHost();
  return p ? pgUrl(p, dep.postgres) : undefined;
}

async function reviewsStored(dep: HaDeployment): Promise<number | undefined> {
  const url = await primaryUrl(dep);
  const rows = url ? await queryOnce<{ n: string }>(url, 'SELECT count(*) AS n FROM reviews') : undefined;
  return rows ? Number(rows[0]!.n) : undefined;
}

/** The cluster as the runbook deploys it, every service ready, the first base backup taken. */
async function deploy(run: Run, backupStore: string, logDir: string): Promise<void> {
  const { dep } = run;
  const bin = ensureBinaries(say);
  const cluster = (run.cluster = new Cluster(dep, ROOT, run.dataDir, bin.pgBin, logDir, say));
  const [A, B, W] = [cluster.host('server-a'), cluster.host('server-b'), cluster.host('witness')];
  const pw = dep.redisPassword;

  // etcd on all three first: its cluster version (and the v3 API Patroni uses) is settled once every member has joined.
  const isEtcd = (n: string) => n.startsWith('etcd-');
  for (const h of [W, A, B]) h.startServers(isEtcd);
  await need('etcd: the three members form the cluster', async () => {
    const v = await fetch(`http://${HA_HOSTS.witness.address}:2379/version`, { signal: AbortSignal.timeout(2000) }).then((r) => r.json() as Promise<{ etcdcluster?: string }>);
    return v.etcdcluster !== undefined && v.etcdcluster !== '3.0.0';
  }, 60_000);
  // The witness's votes, then A: pg-a initialises the cluster, redis-a is the first master.
  W.startServers((n) => n !== 'pg-basebackup');
  A.startServers();
  await need('pg-a initialised the cluster and leads it', async () => (await patroniMembers(['server-a']))?.some((m) => m.name === pgName('server-a') && m.role === 'leader' && m.state === 'running') ?? false, 180_000);
  await need('redis-a is the master the Sentinels name', async () => (await sentinelMaster('witness', pw)) === HA_HOSTS['server-a'].address && (await redisReplication('server-a', pw))?.role === 'master', 60_000);
  // Then B: its PostgreSQL clones A's and becomes the synchronous replica, its Redis a replica.
  B.startServers();
  await need('pg-b streams from pg-a as its synchronous replica', async () => (await patroniMembers(['server-a']))?.some((m) => m.name === pgName('server-b') && m.role === 'sync_standby' && m.state === 'running') ?? false, 180_000);
  await need('redis-b replicates redis-a', async () => {
    const r = await redisReplication('server-b', pw);
    return r?.role === 'slave' && r.linkUp;
  }, 60_000);
  await need('the three NATS nodes agree on a JetStream meta leader', async () => {
    const leaders = await Promise.all((['server-a', 'server-b', 'witness'] as const).map(async (r) => (await natsState(r))?.metaLeader));
    return Boolean(leaders[0]) && leaders.every((l) => l === leaders[0]);
  }, 60_000);
  // The scheduled base backup starts once there is a cluster to back up (runbook: after A and B).
  W.startServer(W.d.servers.find((s) => s.name === 'pg-basebackup')!);

  for (const line of await A.runOneShots()) say(`server-a/${line}`);

  const client = HA_HOSTS.client;
  run.sim = startApp(ROOT, 'llm-sim', dep.llmSim.env, path.join(logDir, 'client.llm-sim.log'), { port: dep.llmSim.port, spawnPrefix: ['nice', '-n', String(LLM_SIM_NICE), ...netnsPrefix(client)] });
  await waitReady(run.sim, 60_000, client.address);
  await Promise.all([A.startApps(180_000), B.startApps(180_000)]);
  say(`services ready: A ${A.d.apps.map((s) => s.name).join(', ')}; B ${B.d.apps.map((s) => s.name).join(', ')}`);
  await need('uploads accepted through the floating address', async () => {
    const res = await fetch(`${dep.gateway.url}/readyz/uploads`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    return res?.status === 200 && vipHolders().length === 1;
  }, 120_000);
  await need('a base backup in the store', async () => existsSync(path.join(backupStore, 'base')) && readdirSync(path.join(backupStore, 'base')).some((d) => /^2\d+T\d+Z$/.test(d)), 180_000);
}

/** Kills `role`, times every failover, keeps it down, brings it back and times its catch-up. */
async function failover(run: Run, role: 'server-a' | 'server-b', phases: Phases, sync: SyncWatch): Promise<FailoverObservation> {
  const { dep, opts } = run;
  const cluster = run.cluster!;
  const uploader = run.uploader!;
  const survivor = Cluster.other(role);
  const host: HostRun = cluster.host(role);
  const pw = dep.redisPassword;
  const survivorAddress = HA_HOSTS[survivor].address;
  const deadNats = natsNodeName(role);
  const who = role === 'server-a' ? 'A' : 'B';

  // Connection names are "<service>@<NODE_NAME>"; NODE_NAME defaults to the role.
  const survivorsOnDeadNats = (await natsClients(role)).filter((n) => n.endsWith(`@${survivor}`)).map((n) => n.split('@')[0]!);
  await phases.next(`${who} down`);
  sync.during = `${who} down`;
  const killedAt = Date.now();
  const killedAtU = uploader.now();
  const killed = host.kill();
  say(`server ${who} killed: cable pulled, ${killed} processes SIGKILLed`);
  const times = await timesUntil(
    killedAt,
    {
      uploads: async () => firstAcceptedAfter(uploader.acceptedAt, killedAtU) !== undefined,
      postgresS: () => writesThroughHaproxy(survivor, dep.postgres),
      redisS: async () =>
        (await sentinelMaster(survivor, pw)) === survivorAddress &&
        (await sentinelMaster('witness', pw)) === survivorAddress &&
        (await redisReplication(survivor, pw))?.role === 'master',
      natsS: async () => {
        const s = await natsState(survivor);
        const leaders = Object.values(s?.streamLeaders ?? {});
        return Boolean(s?.metaLeader) && s!.metaLeader !== deadNats && leaders.length >= 7 && leaders.every((l) => l && l !== deadNats);
      },
      vipS: async () => vipHolders().includes(survivor),
    },
    120_000,
  );
  const firstAfter = firstAcceptedAfter(uploader.acceptedAt, killedAtU);
  const uploadsS = firstAfter === undefined ? null : Math.round((firstAfter - killedAtU) / 100) / 10;
  say(`failover after ${who}: uploads ${uploadsS} s, PostgreSQL ${times.postgresS} s, Redis ${times.redisS} s, NATS ${times.natsS} s, floating address ${times.vipS} s`);

  await until(async () => Date.now() - killedAt >= opts.outageS * 1000, opts.outageS * 1000 + 1000, 500);
  const downS = secondsSince(killedAt);
  await phases.next(`${who} back`);
  sync.during = `${who} back`;
  const bootAt = Date.now();
  const dropped = host.reboot();
  say(`server ${who} boots (down ${downS} s)${dropped.length ? `; a reboot forgot ${dropped.join(', ')}` : ''}`);
  const apps = host.startApps(180_000).catch((e: unknown) => say(`server ${who}'s services: ${(e as Error).message}`));
  const catchUp = await timesUntil(
    bootAt,
    {
      postgresS: async () =>
        (await patroniMembers([survivor, role]))?.some((m) => m.name === pgName(role) && m.role === 'sync_standby' && m.state === 'running' && m.lag === 0) ?? false,
      redisS: async () => {
        const master = await redisReplication(survivor, pw);
        const replica = await redisReplication(role, pw);
        return master?.role === 'master' && replica?.role === 'slave' && replica.linkUp && replica.offset >= master.offset;
      },
      natsS: async () => (await natsState(role))?.healthy ?? false,
      appsS: () => host.apps.allReady(),
    },
    180_000,
  );
  await apps;
  host.settled();
  say(`server ${who} caught up: PostgreSQL ${catchUp.postgresS} s, Redis ${catchUp.redisS} s, NATS ${catchUp.natsS} s, services ${catchUp.appsS} s`);
  const gap = longestGap(uploader.acceptedAt, killedAtU, uploader.now());
  // Where the longest wait's seconds went: every request in it, timed from the kill.
  say(
    `longest wait after ${who}'s kill: ${(gap.ms / 1000).toFixed(1)} s from ${((gap.from - killedAtU) / 1000).toFixed(1)} s after it; requests: ` +
      attemptTimeline(uploader.attempts, gap.from, gap.from + gap.ms, killedAtU),
  );
  return {
    killed: role,
    killedAtS: Math.round(killedAtU / 100) / 10,
    downS,
    failover: { uploadsS, postgresS: times.postgresS, redisS: times.redisS, natsS: times.natsS, vipS: times.vipS },
    longestGapS: gap.ms / 1000,
    survivorsOnDeadNats,
    catchUp,
  };
}

/** llm-sim's figures per phase of the run: reset at each phase's start, read at its end. */
class Phases {
  readonly done: PhaseStats[] = [];
  private current?: string;

  constructor(private readonly sim: SimClient) {}

  async next(name: string | undefined): Promise<void> {
    if (this.current) {
      const s = await this.sim.stats();
      this.done.push({ name: this.current, requests: s.requests, maxRequestsIn1s: s.maxRequestsIn1s, rejected429: s.rejected429, errors5xx: s.errors5xx });
    }
    this.current = name;
    if (name) await this.sim.reset();
  }
}

/**
 * Samples, every second, whether the primary has its synchronous replica,
 * and keeps the windows it had none (with the reviews stored meanwhile), and
 * whether both live servers held the floating address.
 */
class SyncWatch {
  readonly windows: SyncWindow[] = [];
  splitBrainSamples = 0;
  during = 'start';
  private open?: { at: number; stored: number; during: string };
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly dep: HaDeployment,
    private readonly cluster: Cluster,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.sample().catch(() => undefined);
        await sleep(1000);
      }
    })();
  }

  private async sample(): Promise<void> {
    const live = (['server-a', 'server-b'] as const).filter((r) => this.cluster.host(r).isAlive);
    const holders = vipHolders().filter((r) => live.includes(r as 'server-a' | 'server-b'));
    if (holders.length > 1) this.splitBrainSamples++;
    const members = await patroniMembers(live);
    if (!members?.some((m) => m.role === 'leader')) return;
    const synced = members.some((m) => m.role === 'sync_standby' && m.state === 'running');
    if (!synced && !this.open) {
      const stored = await reviewsStored(this.dep);
      if (stored !== undefined) this.open = { at: Date.now(), stored, during: this.during };
    } else if (synced && this.open) {
      const stored = await reviewsStored(this.dep);
      if (stored === undefined) return;
      this.windows.push({ during: this.open.during, seconds: secondsSince(this.open.at), reviewsStored: stored - this.open.stored });
      this.open = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** The restore drill as the runbook has it, after the archive holds everything the primary wrote. */
async function restoreDrill(run: Run, backupStore: string): Promise<HaObservations['backup'] & { output: string }> {
  const url = await primaryUrl(run.dep);
  if (!url) throw new Error('no PostgreSQL primary for the restore check');
  const seg = (await queryOnce<{ f: string }>(url, 'SELECT pg_walfile_name(pg_switch_wal()) AS f'))?.[0]?.f;
  const archived = seg !== undefined && (await until(async () => existsSync(path.join(backupStore, 'wal', seg)), 60_000, 500));
  if (!archived) say(`WAL segment ${seg ?? '?'} not archived within 60 s`);
  const primaryReviews = Number((await queryOnce<{ n: string }>(url, 'SELECT count(*) AS n FROM reviews'))?.[0]?.n ?? NaN);
  const start = Date.now();
  const { code, output } = await run.cluster!.host('witness').runOnRequest('pg-restore', 600_000);
  const restoreS = secondsSince(start);
  say(`restore drill exited ${code} after ${restoreS} s:\n${output.trim().split('\n').map((l) => `    ${l}`).join('\n')}`);
  const restored = /^reviews (\d+)$/m.exec(output)?.[1];
  return {
    baseBackupBeforeFirstKill: true,
    walSegments: readdirSync(path.join(backupStore, 'wal')).filter((f) => /^[0-9A-F]{24}$/.test(f)).length,
    primaryReviews: Number.isNaN(primaryReviews) ? null : primaryReviews,
    restoredReviews: code === 0 && restored !== undefined ? Number(restored) : null,
    restoredTimeline: /replayed up to timeline (\d+)/.exec(output)?.[1] ?? null,
    restoreS: code === 0 ? restoreS : null,
    output,
  };
}

async function main(run: Run): Promise<boolean> {
  const { dep, opts } = run;
  const logDir = path.join(run.dataDir, 'logs');
  const backupStore = path.join(run.dataDir, 'backup-store');
  mkdirSync(logDir, { recursive: true });
  say(`compose files: ${dep.sources.join(', ')}; data and logs in ${run.dataDir}`);
  for (const d of dep.deviations) say(`deviation from the compose files: ${d}`);

  await deploy(run, backupStore, logDir);
  const cluster = run.cluster!;
  const sim = new SimClient(`http://${HA_HOSTS.client.address}:${dep.llmSim.port}`);

  const chunks = steadyChunks(loadReviewsByProduct(reviewDataPath()), { products: opts.products, chunkSize: opts.chunkSize });
  const uploader = (run.uploader = new SteadyUploader(dep.gateway.url, dep.gateway.apiKey, chunks, opts.everyMs, opts.requestTimeoutMs));
  const phases = new Phases(sim);
  const sync = new SyncWatch(dep, cluster);
  // The pipeline services of A and B (the gateway's counters are on another port and it consumes nothing).
  const pipelineApps = (role: ServerHost) => dep.hosts[role].apps.filter((a) => a.app !== 'gateway');
  const work = new WorkWatch({ 'server-a': pipelineApps('server-a'), 'server-b': pipelineApps('server-b') });
  await phases.next('both up');
  const uploadsStart = Date.now();
  uploader.start();
  sync.start();
  work.start();
  const progress = setInterval(() => {
    void (async () => {
      const url = await primaryUrl(dep);
      const db = url ? await queryOnce<Record<string, string>>(url, `SELECT (SELECT count(*) FROM reviews) AS stored, (SELECT count(*) FROM reviews WHERE translate_status = 'done') AS translated, (SELECT count(*) FROM reviews WHERE insight_status = 'done') AS insights, (SELECT count(*) FROM reviews WHERE theme_status = 'done') AS themes`) : undefined;
      const s = await sim.stats().catch(() => undefined);
      const c = db?.[0];
      say(`uploads ${uploader.stats.accepted} accepted (${uploader.stats.attempts} attempts) | ${c ? `stored ${c.stored}, translated ${c.translated}, insights ${c.insights}, themes ${c.themes}` : 'no primary'} | LLM this phase ${s?.requests ?? '?'} req, busiest 1 s ${s?.maxRequestsIn1s ?? '?'}`);
    })().catch(() => undefined);
  }, 5000);

  try {
    await until(async () => Date.now() - uploadsStart >= opts.warmupS * 1000, opts.warmupS * 1000 + 1000, 500);
    const failovers: FailoverObservation[] = [];
    for (const role of ['server-a', 'server-b'] as const) {
      failovers.push(await failover(run, role, phases, sync));
      await phases.next(`after ${role === 'server-a' ? 'A' : 'B'}`);
      sync.during = 'both up';
      // Both up again for a while: work flows through the returned host too.
      await sleep(10_000);
      if (uploader.error) throw uploader.error;
    }

    // The uploads stop; every review must make it through every stage.
    await uploader.stop(60_000);
    const allAccepted = !uploader.inFlight && !uploader.error;
    const keys = new Set(uploader.acceptances.flatMap((a) => a.chunk.reviews.map((r) => reviewKey({ asin: a.chunk.asin, reviewId: r.reviewId }))));
    // A chunk sent but never acknowledged is uploaded if the gateway stored it (its 202 was lost).
    const pending = uploader.unacknowledged;
    const pendingKeys = pending ? pending.reviews.map((r) => reviewKey({ asin: pending.asin, reviewId: r.reviewId })) : [];
    say(`uploads stopped: ${uploader.stats.accepted} accepted (${keys.size} reviews), ${uploader.remaining} chunks of the data left unsent`);
    const finished = await until(async () => {
      const url = await primaryUrl(dep);
      const rows = url ? await queryOnce<Record<string, string>>(url, `SELECT count(*) AS stored, count(*) FILTER (WHERE translate_status = 'done' AND insight_status = 'done' AND theme_status = 'done') AS done FROM reviews`) : undefined;
      const r = rows?.[0];
      return r !== undefined && (Number(r.stored) === keys.size || Number(r.stored) === keys.size + pendingKeys.length) && Number(r.done) === Number(r.stored);
    }, opts.timeoutS * 1000, 2000);
    const finishedS = finished ? secondsSince(uploadsStart) : null;
    say(finished ? 'every review is through every stage' : `not finished after ${opts.timeoutS} s`);
    await phases.next(undefined);
    clearInterval(progress);
    await sync.stop();
    const workPerHost = await work.stop(Object.keys(QUEUES));

    const queues = await fetch(`${dep.gateway.url}/v1/queues`, { headers: { authorization: `Bearer ${dep.gateway.apiKey}` }, signal: AbortSignal.timeout(10_000) });
    if (queues.status !== 200) throw new Error(`GET /v1/queues answered ${queues.status}`);
    const dlq = ((await queues.json()) as { dlq: { total: number } }).dlq.total;
    const url = await primaryUrl(dep);
    if (!url) throw new Error('no PostgreSQL primary for the audit');
    const db = await Database.connect(url);
    if (pending) {
      const ids = pending.reviews.map((r) => `'${r.reviewId.replace(/'/g, "''")}'`).join(',');
      const stored = await queryOnce<{ n: string }>(url, `SELECT count(*) AS n FROM reviews WHERE asin = '${pending.asin.replace(/'/g, "''")}' AND review_id IN (${ids})`);
      const n = Number(stored?.[0]?.n ?? 0);
      say(`the chunk sent when the uploads stopped (no 202 seen): ${n} of its ${pendingKeys.length} reviews stored${n > 0 ? ', so it counts as uploaded' : ''}`);
      if (n > 0) for (const k of pendingKeys) keys.add(k);
    }
    const integrity = await db.audit(keys, dlq).finally(() => db.close());
    const { output: _restoreLog, ...backup } = await restoreDrill(run, backupStore);

    const obs: HaObservations = {
      maxApiRps: dep.maxApiRps,
      accountLimit: dep.accountLimit,
      uploads: {
        chunkSize: opts.chunkSize,
        everyMs: opts.everyMs,
        attempts: uploader.stats.attempts,
        accepted: uploader.stats.accepted,
        refused: uploader.stats.refused,
        longestGapS: longestGap(uploader.acceptedAt).ms / 1000,
        allAccepted,
        ...(uploader.error ? { error: uploader.error.message } : {}),
      },
      failovers,
      phases: phases.done,
      syncOff: sync.windows,
      splitBrainSamples: sync.splitBrainSamples,
      backup,
      finishedS,
      integrity,
      work: workPerHost,
      restarts: Object.fromEntries(Object.values(cluster.hosts).map((h) => [h.role, h.servers.restarts() + h.apps.restarts()])),
      totalS: secondsSince(t0),
    };
    const figures = computeFigures(obs);
    process.stdout.write(`\n${formatReport(obs, figures)}\n\n`);
    const out = path.join(ROOT, 'bench', 'results', `ha-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ run: 'ha', at: new Date().toISOString(), options: opts, composeFiles: dep.sources, deviations: dep.deviations, observations: obs, figures }, null, 2) + '\n');
    say(`figures written to ${path.relative(ROOT, out)}`);
    return figures.ok;
  } finally {
    clearInterval(progress);
    await sync.stop();
    await work.stop([]);
  }
}

async function entry(): Promise<number> {
  const opts = readOptions();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'voc-ha-'));
  // PostgreSQL runs as the postgres user (we are root): it must reach its directories.
  chmodSync(dataDir, 0o755);
  const dep = loadDeployment(ROOT, path.join(dataDir, 'backup-store'));
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
  say(ok ? `PASS: every check passed (${secondsSince(t0)} s)` : 'FAIL: see the checks above');
  return ok ? 0 : 1;
}

entry().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
