import { setMaxListeners } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { startTestStack, type TestStack } from '@voc/local-stack';
import type { Priority, RateLimiter } from '../../src';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Redis clients that `closeAll()` disconnects. */
export class Clients {
  private readonly all: Redis[] = [];

  constructor(private readonly url: string) {}

  create(opts: RedisOptions = {}): Redis {
    const r = new Redis(this.url, opts);
    // Expected while a test stops Redis on purpose.
    r.on('error', () => undefined);
    this.all.push(r);
    return r;
  }

  closeAll(): void {
    for (const r of this.all.splice(0)) r.disconnect();
  }
}

export interface Grant {
  at: number;
  who: string;
  priority: Priority;
}

/**
 * Callers looping acquire() → record, like LLM workers that send on time.
 * Grant times are the limiter's own (grant.sendAt, performance.now(): one
 * clock for every limiter instance in this process), not when the caller
 * resumes, which a loaded machine can delay past the next window.
 */
export class Load {
  readonly grants: Grant[] = [];
  private readonly stop = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor() {
    // Every caller listens on the one stop signal.
    setMaxListeners(Infinity, this.stop.signal);
  }

  saturate(limiter: RateLimiter, callers: number, who: string, priority: Priority = 'normal'): this {
    for (let i = 0; i < callers; i++) {
      this.loops.push(
        (async () => {
          while (!this.stop.signal.aborted) {
            let at: number;
            try {
              at = (await limiter.acquire({ priority, signal: this.stop.signal })).sendAt;
            } catch (err) {
              if (this.stop.signal.aborted) return;
              throw err;
            }
            this.grants.push({ at, who, priority });
          }
        })(),
      );
    }
    return this;
  }

  /** One acquire, recorded; resolves with its wait in ms, or undefined when the load stopped first. */
  async once(limiter: RateLimiter, who: string, priority: Priority): Promise<number | undefined> {
    const t0 = performance.now();
    let at: number;
    try {
      at = (await limiter.acquire({ priority, signal: this.stop.signal })).sendAt;
    } catch (err) {
      if (this.stop.signal.aborted) return undefined;
      throw err;
    }
    this.grants.push({ at, who, priority });
    return at - t0;
  }

  times(filter: (g: Grant) => boolean = () => true): number[] {
    return this.grants.filter(filter).map((g) => g.at);
  }

  async end(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
  }
}

/** A metric's value from a registry, summed over the label sets that match `labels`. */
export async function metricValue(
  registry: { getMetricsAsJSON(): Promise<unknown[]> },
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metrics = (await registry.getMetricsAsJSON()) as { name: string; values: { labels: Record<string, unknown>; value: number }[] }[];
  const m = metrics.find((x) => x.name === name);
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * One real Redis for the spec file (started before its tests, stopped after),
 * and a pool of clients that each test closes. Call at the top of a spec.
 */
export function useRedis(): { readonly clients: Clients; readonly url: string } {
  let stack: TestStack | undefined;
  let clients: Clients | undefined;
  beforeAll(async () => {
    stack = await startTestStack({ redis: true });
    clients = new Clients(stack.redisUrl);
  });
  afterEach(() => clients?.closeAll());
  afterAll(() => stack?.stop());
  return {
    get clients() {
      if (!clients) throw new Error('useRedis: used outside a test');
      return clients;
    },
    get url() {
      if (!stack) throw new Error('useRedis: used outside a test');
      return stack.redisUrl;
    },
  };
}

/**
 * Tuning for tests about something else than the ramp or the fence: full
 * limits from the first grant. And a slot may be used up to 200 ms after its
 * time instead of 10: on a loaded machine (load average 70 on 2 cores seen)
 * replies and timers come tens of ms late, so with the default margin most
 * slots are dropped as late, or never usable while the clock map stays
 * wider than the margin; a test would then see no grants at all. The
 * schedule runs at 1000 / 1200 of the limits (the tests' bounds allow for
 * it), the limits still hold exactly, and `npm run bench:limiter` measures
 * the default margin.
 */
export const QUICK = { rampMs: 0, fenceMs: 0, marginMs: 200 } as const;
