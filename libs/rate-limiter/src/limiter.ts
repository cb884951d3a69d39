import { createLogger, type Logger } from '@voc/service-kit';
import { abortReason, RateLimiterClosedError } from './errors';
import { HeldSlots, type HeldSlot } from './held-slots';
import { LocalGrantCounter } from './local-counter';
import { limiterMetrics, type DropReason, type LimiterMetrics } from './metrics';
import { resolveTuning, type ResolvedTuning } from './options';
import { PauseSubscription } from './pause-subscription';
import { LimiterScripts, limiterKeys, type LimiterKeys, type ReserveReply } from './scripts';
import type { AcquireOptions, LimiterStats, Priority, RateLimiter, RateLimiterOptions } from './types';
import { WaiterQueue, type Waiter } from './waiters';

const now = () => performance.now();

/** Backoff after failed Redis calls: 50 ms doubling to 1 s, ±20 % so processes do not retry in step. */
function backoffMs(failures: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(failures - 1, 5)) * (0.8 + 0.4 * Math.random());
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  return new RedisRateLimiter(opts);
}

/**
 * One process's side of a shared limit. Callers queue here; a pump reserves
 * slots on the Redis schedule for them (one script call per lease of slots),
 * sleeps until each slot's time and hands it to the next caller, vip first.
 * Nothing polls: the pump wakes for a slot, for the turn Redis gave it, or
 * when a caller arrives and nothing is pending.
 */
class RedisRateLimiter implements RateLimiter {
  readonly key: string;
  readonly rps: number;
  private readonly cfg: ResolvedTuning;
  private readonly keys: LimiterKeys;
  private readonly scripts: LimiterScripts;
  private readonly log: Logger;
  private readonly metrics: LimiterMetrics;
  private readonly waiters = new WaiterQueue();
  private readonly held = new HeldSlots();
  private readonly localGrants = new LocalGrantCounter();
  private readonly subscription: PauseSubscription | undefined;

  /** The reservation call in flight; at most one. */
  private inFlight: Promise<void> | undefined;
  /** Releases and other calls close() must wait for. */
  private readonly background = new Set<Promise<unknown>>();
  /** When Redis said to come back for more, per priority (local ms). */
  private readonly turnAt: Record<Priority, number | undefined> = { vip: undefined, normal: undefined };
  private retryAt = 0;
  private failures = 0;
  /** No slot of this key is used before this (local ms). */
  private pausedUntil = 0;
  private degraded = false;
  private rpsMismatchLogged = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  private dispatchTimer: NodeJS.Timeout | undefined;
  private dispatchAt = Infinity;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;

  constructor(opts: RateLimiterOptions) {
    if (!opts.key) throw new Error('rate limiter: key must not be empty');
    this.key = opts.key;
    this.rps = opts.rps;
    this.cfg = resolveTuning(opts.rps, opts);
    this.keys = limiterKeys(this.cfg.keyPrefix, opts.key);
    this.scripts = new LimiterScripts(opts.redis);
    this.log = (opts.log ?? createLogger('rate-limiter', 'silent')).child({ limiter: opts.key });
    this.metrics = limiterMetrics(opts.registry);
    this.metrics.degraded.set({ key: this.key }, 0);
    if (opts.subscriber !== false) {
      this.subscription = new PauseSubscription(
        opts.subscriber ?? opts.redis.duplicate(),
        opts.subscriber === undefined,
        this.keys.channel,
        (remainingMs) => this.applyPause(now() + remainingMs),
        this.log,
      );
    }
  }

  acquire(opts: AcquireOptions = {}): Promise<void> {
    const priority = opts.priority ?? 'normal';
    const signal = opts.signal;
    if (this.closed) return Promise.reject(new RateLimiterClosedError(this.key));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (!this.waiters.remove(waiter)) return;
        this.metrics.waiting.dec({ key: this.key, priority });
        reject(abortReason(signal as AbortSignal));
        this.giveBackSurplus();
      };
      const waiter: Waiter = {
        priority,
        since: now(),
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.metrics.waiting.inc({ key: this.key, priority });
      this.pump();
    });
  }

  async pause(ms: number, reason = 'unspecified'): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`rate limiter '${this.key}': pause(${ms}) needs a duration >= 0 ms`);
    const pauseMs = Math.min(ms, this.cfg.maxPauseMs);
    if (pauseMs === 0) return;
    // Stop this process at once; the script stops the others.
    this.applyPause(now() + pauseMs);
    this.metrics.pauses.inc({ key: this.key });
    this.log.warn({ pauseMs, reason }, 'pausing every process on this key');
    try {
      const r = await this.call('pause', () => this.scripts.pause(this.keys, pauseMs * 1000, reason));
      this.applyPause(now() + (r.pausedUntilUs - r.nowUs) / 1000);
    } catch (err) {
      // Redis is unreachable: every process fails closed already, and this
      // one is paused locally. The caller's retry must not fail for it.
      this.log.warn({ err, pauseMs, reason }, 'could not store the pause in Redis; paused this process only');
    }
  }

  async stats(): Promise<LimiterStats> {
    try {
      const r = await this.call('stats', () => this.scripts.stats(this.keys));
      return {
        key: this.key,
        rps: this.rps,
        grantedLastSecond: r.grantedLastSecond,
        grantedLast10s: r.grantedLast10s,
        pausedUntilMs: r.pausedUntilUs === undefined ? null : Math.floor(r.pausedUntilUs / 1000),
        mode: this.degraded ? 'degraded' : 'redis',
      };
    } catch (err) {
      this.log.debug({ err }, 'stats: Redis unreachable, reporting this process only');
      const local = this.localGrants.counts();
      const pausedMs = this.pausedUntil - now();
      return {
        key: this.key,
        rps: this.rps,
        grantedLastSecond: local.lastSecond,
        grantedLast10s: local.last10s,
        pausedUntilMs: pausedMs > 0 ? Math.floor(Date.now() + pausedMs) : null,
        mode: 'degraded',
      };
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    for (const w of this.waiters.drain()) {
      this.metrics.waiting.dec({ key: this.key, priority: w.priority });
      w.reject(new RateLimiterClosedError(this.key));
    }
    // A reply still on its way gives its slots back (see onReserved).
    if (this.inFlight) await this.bounded(this.inFlight);
    this.release(this.held.takeAll());
    await Promise.all([
      this.bounded(Promise.allSettled([...this.background])),
      this.subscription && this.bounded(this.subscription.close()),
    ]);
  }

  /** Reserves when there is demand and nothing stops it; otherwise sleeps until what would. */
  private pump(): void {
    if (this.closed) return;
    this.armDispatch();
    if (this.inFlight) return;
    const t = now();
    const demand = this.waiters.size - this.held.size;
    if (demand <= 0) return;
    if (t < this.retryAt) return this.armWake(this.retryAt);
    // Held slots go to vip callers first, so only vip callers beyond them need vip slots.
    const vipUncovered = this.waiters.count('vip') - this.held.size;
    const priority: Priority = vipUncovered > 0 ? 'vip' : 'normal';
    const turn = this.turnAt[priority];
    if (turn !== undefined && turn > t) return this.armWake(turn);
    this.reserve(priority, priority === 'vip' ? vipUncovered : demand);
  }

  private reserve(priority: Priority, demand: number): void {
    const wanted = Math.min(demand, this.cfg.maxLeaseSlots);
    const sent = now();
    this.inFlight = this.call('reserve', () =>
      this.scripts.reserve(this.keys, {
        wanted,
        intervalUs: this.cfg.intervalUs,
        horizonUs: this.cfg.horizonUs[priority],
        turnSlots: Math.min(wanted, this.cfg.leaseSlots[priority]),
        vip: priority === 'vip',
        initDelayUs: this.cfg.initDelayUs,
        rps: this.rps,
      }),
    )
      .then(
        (reply) => this.onReserved(priority, reply, sent, now()),
        (err: unknown) => this.onRedisError(err),
      )
      .finally(() => {
        this.inFlight = undefined;
        this.pump();
      });
  }

  private onReserved(priority: Priority, r: ReserveReply, sent: number, received: number): void {
    const rtt = received - sent;
    // Map Redis times as if the script ran when the reply arrived: as late as
    // possible, so no slot is used before its time; the error is at most rtt.
    const toLocal = (us: number) => received + (us - r.nowUs) / 1000;
    if (r.pausedUntilUs !== undefined) this.applyPause(toLocal(r.pausedUntilUs));
    this.turnAt[priority] = r.nextTurnUs === undefined ? undefined : toLocal(r.nextTurnUs);
    this.checkRps(r.previousRps);
    const slots = r.slotsUs.map((us) => ({ redisUs: us, localAt: toLocal(us), rttMs: rtt }));
    if (this.closed) return this.release(slots);
    if (rtt > this.cfg.marginMs) {
      // Every slot of this lease could be up to rtt late, beyond the margin
      // the schedule keeps: give them back and try again shortly.
      this.drop('stale_lease', slots.length);
      this.release(slots);
      this.failures++;
      this.retryAt = now() + Math.min(backoffMs(this.failures), 100);
      const log = this.failures === 10 ? this.log.warn.bind(this.log) : this.log.debug.bind(this.log);
      log({ rttMs: rtt, marginMs: this.cfg.marginMs, inARow: this.failures }, 'Redis answered slower than the margin; gave the slots back');
      return;
    }
    this.failures = 0;
    for (const s of slots) this.held.insert(s);
    // Callers may have left while the call was out.
    this.giveBackSurplus();
  }

  private onRedisError(err: unknown): void {
    this.failures++;
    this.retryAt = now() + backoffMs(this.failures);
    this.log.debug({ err, failures: this.failures }, 'reservation failed');
  }

  /** Hands every due slot to the next caller, or drops it when it cannot be used safely. */
  private dispatch(): void {
    this.dispatchTimer = undefined;
    this.dispatchAt = Infinity;
    const t = now();
    for (let s = this.held.peek(); s && s.localAt <= t; s = this.held.peek()) {
      this.held.shift();
      if (s.localAt < this.pausedUntil) this.drop('paused');
      // The proof that no 1-s window exceeds rps allows each grant to come
      // at most marginMs after its slot.
      else if (t - s.localAt + s.rttMs > this.cfg.marginMs) this.drop('late');
      else {
        const w = this.waiters.shift();
        if (w) this.grant(w, t);
        else this.drop('unclaimed');
      }
    }
    this.pump();
  }

  private grant(w: Waiter, t: number): void {
    const labels = { key: this.key, priority: w.priority };
    this.metrics.waiting.dec(labels);
    this.metrics.grants.inc(labels);
    this.metrics.waitSeconds.observe(labels, (t - w.since) / 1000);
    this.localGrants.record();
    w.grant();
  }

  private applyPause(localUntil: number): void {
    if (localUntil <= this.pausedUntil) return;
    this.pausedUntil = localUntil;
    // Slots held for the paused time are void: Redis will not hand out any
    // slot before the pause ends, so they need not be given back.
    this.drop('paused', this.held.takeBefore(localUntil).length);
    this.pump();
  }

  /** More slots held than callers (some aborted): give the latest back for anyone to use. */
  private giveBackSurplus(): void {
    const surplus = this.held.size - this.waiters.size;
    if (surplus > 0) this.release(this.held.takeLatest(surplus));
  }

  private release(slots: HeldSlot[]): void {
    if (slots.length === 0) return;
    const p = this.call('release', () =>
      this.scripts.release(
        this.keys,
        this.cfg.intervalUs,
        slots.map((s) => s.redisUs),
      ),
    ).then(
      (reusable) => this.metrics.releasedSlots.inc({ key: this.key }, reusable),
      // Not given back means wasted, never over the limit.
      (err: unknown) => this.log.debug({ err, slots: slots.length }, 'could not give slots back'),
    );
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /**
   * One script call, counted. Past the Redis timeout the limiter reports
   * itself degraded; a reservation is still awaited (ioredis sends it once
   * Redis is back, and a late reply is handled like any slow one), other
   * calls reject so that stats() and pause() never hang on a dead Redis.
   */
  private async call<T>(op: 'reserve' | 'release' | 'pause' | 'stats', fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new Error(`no reply from Redis within ${this.cfg.redisTimeoutMs} ms`);
        this.setDegraded(true, err);
        if (op !== 'reserve') reject(err);
      }, this.cfg.redisTimeoutMs);
    });
    try {
      const r = await Promise.race([fn(), overdue]);
      this.metrics.redisCalls.inc({ key: this.key, op, outcome: 'ok' });
      this.setDegraded(false);
      return r;
    } catch (err) {
      this.metrics.redisCalls.inc({ key: this.key, op, outcome: 'error' });
      this.setDegraded(true, err);
      throw new Error(`rate limiter '${this.key}': ${op} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private setDegraded(on: boolean, err?: unknown): void {
    if (on === this.degraded) return;
    this.degraded = on;
    this.metrics.degraded.set({ key: this.key }, on ? 1 : 0);
    if (on) this.log.warn({ err }, 'Redis unreachable: granting nothing until it is back (fail closed)');
    else this.log.info('Redis reachable again: granting');
  }

  private checkRps(previous: number | undefined): void {
    if (previous === undefined || previous === this.rps || this.rpsMismatchLogged) return;
    this.rpsMismatchLogged = true;
    this.log.warn({ rps: this.rps, otherRps: previous }, 'another process uses a different rps on this key: they share one schedule, so configure every process alike');
  }

  private drop(reason: DropReason, n = 1): void {
    if (n > 0) this.metrics.droppedSlots.inc({ key: this.key, reason }, n);
  }

  private armDispatch(): void {
    const next = this.held.peek();
    if (!next) return;
    if (this.dispatchTimer && this.dispatchAt <= next.localAt) return;
    clearTimeout(this.dispatchTimer);
    this.dispatchAt = next.localAt;
    // setTimeout may fire up to ~1 ms early; dispatch() re-checks the clock.
    this.dispatchTimer = setTimeout(() => this.dispatch(), Math.max(0, Math.ceil(next.localAt - now())));
  }

  private armWake(at: number): void {
    if (this.wakeTimer && this.wakeAt <= at) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, Math.max(0, Math.ceil(at - now())));
  }

  private clearTimers(): void {
    clearTimeout(this.dispatchTimer);
    clearTimeout(this.wakeTimer);
    this.dispatchTimer = this.wakeTimer = undefined;
    this.dispatchAt = this.wakeAt = Infinity;
  }

  /** Waits for `p`, but no longer than the Redis timeout (close() must not hang on a dead Redis). */
  private async bounded(p: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, this.cfg.redisTimeoutMs)))]);
    clearTimeout(timer);
  }
}
