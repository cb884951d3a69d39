/**
 * One benchmark process: M callers looping acquire() → record, plus (vip
 * scenario) a paced stream of vip acquires, for T seconds from a start time
 * the parent gives on the system-wide monotonic clock. Started by run.ts.
 */
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createRateLimiter, type RateLimiter } from '@voc/rate-limiter';
import type { WorkerResult } from './analysis';
import { SeedRateLimiter } from './seed-baseline';

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

async function main(task: WorkerTask): Promise<void> {
  const redis = new Redis(task.redisUrl);
  const registry = new Registry();
  let ours: RateLimiter | undefined;
  let seed: SeedRateLimiter | undefined;
  if (task.algorithm === 'ours') ours = createRateLimiter({ redis, key: task.key, rps: task.rps, registry, ...(task.marginMs ? { marginMs: task.marginMs } : {}) });
  else seed = new SeedRateLimiter(redis, task.rps, 1, task.key);
  const acquire = (priority: 'vip' | 'normal', signal: AbortSignal) =>
    ours ? ours.acquire({ priority, signal }) : (seed as SeedRateLimiter).acquire(signal);

  await redis.ping();
  await send({ type: 'ready' });
  const start = BigInt((await nextMessage()).startNs);
  const end = start + BigInt(Math.round(task.seconds * 1e9));
  const sinceStart = (t: bigint) => Number(t - start) / 1e6;
  const stop = new AbortController();
  // Every caller listens on it.
  setMaxListeners(Infinity, stop.signal);
  const result: WorkerResult = { grants: [], waits: [], vipIssued: 0, vipServed: 0, vipWaits: [], roundTrips: 0, dropped: {} };

  await sleepUntil(start);
  const caller = async () => {
    while (clockNs() < end) {
      const t0 = clockNs();
      try {
        await acquire('normal', stop.signal);
      } catch (err) {
        if (isAbort(err)) return;
        throw err;
      }
      const t1 = clockNs();
      if (t1 >= end) return;
      result.grants.push(sinceStart(t1));
      result.waits.push(Number(t1 - t0) / 1e6);
    }
  };
  const vipOne = async () => {
    result.vipIssued++;
    const t0 = clockNs();
    try {
      await acquire('vip', stop.signal);
    } catch (err) {
      if (isAbort(err)) return;
      throw err;
    }
    const t1 = clockNs();
    if (t1 >= end) return;
    result.grants.push(sinceStart(t1));
    result.vipServed++;
    result.vipWaits.push(Number(t1 - t0) / 1e6);
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
  await Promise.all([...Array.from({ length: task.callers }, caller), vipPacer(), stopAtEnd]);

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
