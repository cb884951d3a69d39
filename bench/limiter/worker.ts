/**
 * One benchmark process: M callers looping acquire() → record, plus (vip
 * scenario) a paced stream of vip acquires, for T seconds from a start time
 * the parent gives on the system-wide monotonic clock. Optionally the event
 * loop is kept busy (busy-waits at random intervals, like JSON parsing or GC
 * pauses in a real worker), and calls carry tokens (settled later, as a
 * provider's answer would). Started by run.ts.
 */
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createRateLimiter, type Grant, type LimiterTuning, type RateLimiter } from '@voc/rate-limiter';
import type { WorkerResult } from './analysis';
import { SeedRateLimiter } from './seed-baseline';

export interface BusyLoad {
  /** Mean time between two stalls, ms (exponentially distributed). */
  everyMs: number;
  /** Each stall busy-waits uniformly between these, ms. */
  minMs: number;
  maxMs: number;
}

export interface TokenLoad {
  /** Tokens per call (prompt + max_tokens), uniformly between these. */
  min: number;
  max: number;
  /** Tokens per minute of the key. */
  tpm: number;
}

export interface WorkerTask {
  algorithm: 'ours' | 'seed';
  redisUrl: string;
  key: string;
  rps: number;
  callers: number;
  seconds: number;
  /** vip acquires per second this process issues (0: none). */
  vipRps: number;
  /** Our limiter's marginMs (undefined: its default). */
  marginMs: number | undefined;
  /** Our limiter's rampMs. */
  rampMs: number;
  busy: BusyLoad | null;
  tokens: TokenLoad | null;
  /** More tuning options for our limiter (--tuning '{"normalHorizonMs":100}'). */
  tuning: LimiterTuning;
}

type ParentMessage = { type: 'start'; startNs: string };

const clockNs = () => process.hrtime.bigint();

function send(msg: unknown): Promise<void> {
  return new Promise((resolve, reject) => process.send?.(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));
}

function nextMessage(): Promise<ParentMessage> {
  return new Promise((resolve) => process.once('message', (m) => resolve(m as ParentMessage)));
}

async function sleepUntil(ns: bigint): Promise<void> {
  const ms = Number(ns - clockNs()) / 1e6;
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'RateLimiterClosedError');
}

/** Blocks the event loop now and then until `end`, like a worker parsing a large JSON answer or collecting garbage. */
async function keepBusy(busy: BusyLoad, end: bigint, stalls: number[]): Promise<void> {
  while (clockNs() < end) {
    await new Promise((r) => setTimeout(r, -Math.log(1 - Math.random()) * busy.everyMs));
    const ms = busy.minMs + Math.random() * (busy.maxMs - busy.minMs);
    const until = clockNs() + BigInt(Math.round(ms * 1e6));
    while (clockNs() < until) {
      // busy-wait
    }
    stalls.push(ms);
  }
}

async function main(task: WorkerTask): Promise<void> {
  const redis = new Redis(task.redisUrl);
  const registry = new Registry();
  let ours: RateLimiter | undefined;
  let seed: SeedRateLimiter | undefined;
  if (task.algorithm === 'ours') {
    ours = createRateLimiter({
      redis,
      key: task.key,
      rps: task.rps,
      tpm: task.tokens?.tpm ?? 0,
      registry,
      rampMs: task.rampMs,
      ...(task.marginMs ? { marginMs: task.marginMs } : {}),
      ...task.tuning,
    });
  } else seed = new SeedRateLimiter(redis, task.rps, 1, task.key);
  const tokensFor = () => (task.tokens ? Math.round(task.tokens.min + Math.random() * (task.tokens.max - task.tokens.min)) : 0);
  const acquire = async (priority: 'vip' | 'normal', signal: AbortSignal): Promise<Grant | undefined> => {
    if (ours) return ours.acquire({ priority, signal, tokens: tokensFor() });
    await (seed as SeedRateLimiter).acquire(signal);
    return undefined;
  };

  await redis.ping();
  await send({ type: 'ready' });
  const start = BigInt((await nextMessage()).startNs);
  const end = start + BigInt(Math.round(task.seconds * 1e9));
  const sinceStart = (t: bigint) => Number(t - start) / 1e6;
  const stop = new AbortController();
  // Every caller listens on it.
  setMaxListeners(Infinity, stop.signal);
  const result: WorkerResult = {
    grants: [],
    resumed: [],
    cpuMs: 0,
    vip: [],
    tokens: [],
    counted: [],
    waits: [],
    issuedAt: [],
    vipIssued: 0,
    vipServed: 0,
    vipWaits: [],
    vipIssuedAt: [],
    roundTrips: 0,
    dropped: {},
    lateMs: [],
    stalls: [],
  };
  const settles: Promise<void>[] = [];
  const record = (t1: bigint, g: Grant | undefined, vip = false) => {
    const i = result.grants.length;
    const resumed = sinceStart(t1);
    result.resumed.push(resumed);
    // The limiter's grant time on the same clock (the caller resumes a little later).
    result.grants.push(g ? resumed - (performance.now() - g.grantedAt) : resumed);
    if (g) result.lateMs.push(g.lateMs);
    result.vip.push(vip ? 1 : 0);
    result.tokens.push(g?.tokens ?? 0);
    result.counted.push(g?.tokens ?? 0);
    if (g && g.tokens > 0) {
      // The answer comes 1–3 s later and counts a few % less prompt than estimated.
      const counted = Math.round(g.tokens * (0.95 + 0.05 * Math.random()));
      settles.push(
        new Promise<void>((r) =>
          setTimeout(() => {
            g.settle(counted);
            result.counted[i] = counted;
            r();
          }, 1000 + Math.random() * 2000),
        ),
      );
    }
  };

  await sleepUntil(start);
  const cpuAtStart = process.cpuUsage();
  const caller = async () => {
    while (clockNs() < end) {
      const t0 = clockNs();
      let g: Grant | undefined;
      try {
        g = await acquire('normal', stop.signal);
      } catch (err) {
        if (isAbort(err)) return;
        throw err;
      }
      const t1 = clockNs();
      if (t1 >= end) return g?.cancel();
      record(t1, g);
      result.waits.push(Number(t1 - t0) / 1e6);
      result.issuedAt.push(sinceStart(t0));
    }
  };
  const vipOne = async () => {
    result.vipIssued++;
    const t0 = clockNs();
    let g: Grant | undefined;
    try {
      g = await acquire('vip', stop.signal);
    } catch (err) {
      if (isAbort(err)) return;
      throw err;
    }
    const t1 = clockNs();
    if (t1 >= end) return g?.cancel();
    record(t1, g, true);
    result.vipServed++;
    result.vipWaits.push(Number(t1 - t0) / 1e6);
    result.vipIssuedAt.push(sinceStart(t0));
  };
  const vipPacer = async () => {
    if (task.vipRps <= 0) return;
    // Paced, not closed-loop: demand does not shrink when grants are slow.
    // Each process starts at a different phase so the fleet's vip stream is even.
    const periodNs = BigInt(Math.round(1e9 / task.vipRps));
    const inFlight: Promise<void>[] = [];
    for (let at = start + BigInt(Math.floor(Math.random() * Number(periodNs))); at < end; at += periodNs) {
      await sleepUntil(at);
      if (clockNs() >= end) break;
      inFlight.push(vipOne());
    }
    await Promise.all(inFlight);
  };
  const stopAtEnd = sleepUntil(end).then(() => stop.abort());
  const busy = task.busy ? keepBusy(task.busy, end, result.stalls) : Promise.resolve();
  await Promise.all([...Array.from({ length: task.callers }, caller), vipPacer(), stopAtEnd, busy]);
  await Promise.all(settles);

  await ours?.close();
  if (ours) {
    const metrics = await registry.getMetricsAsJSON();
    for (const m of metrics) {
      for (const v of (m as { values?: { labels: Record<string, string | number>; value: number }[] }).values ?? []) {
        if (m.name === 'rate_limiter_redis_calls_total') result.roundTrips += v.value;
        if (m.name === 'rate_limiter_dropped_slots_total') result.dropped[String(v.labels.reason)] = v.value;
      }
    }
  } else result.roundTrips = (seed as SeedRateLimiter).roundTrips;
  redis.disconnect();
  const cpu = process.cpuUsage(cpuAtStart);
  result.cpuMs = (cpu.user + cpu.system) / 1000;
  await send({ type: 'result', result });
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
main(task).then(
  () => process.disconnect?.(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
