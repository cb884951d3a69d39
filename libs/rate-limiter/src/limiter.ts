import { createLogger, type Logger } from '@voc/service-kit';
import { ClockMap } from './clock-map';
import { unwatchDue, watchDue } from './checkpoint';
import { abortReason, RateLimiterClosedError } from './errors';
import { FleetEvents, type FleetEvent } from './fleet-events';
import { LimiterGrant } from './grant';
import { HeldSlots, type HeldSlot } from './held-slots';
import { DEFAULT_LANE, validLaneName } from './lanes';
import { LocalGrantCounter } from './local-counter';
import { limiterMetrics, type DropReason, type LimiterMetrics } from './metrics';
import { DEFAULT_TUNING, HALT_RECHECK_MS, PASS_OVER_MS, resolveTuning, type ResolvedTuning } from './options';
import { RecentSamples } from './recent';
import { RecentRoundTrips } from './rtt';
import { LimiterScripts, limiterKeys, reserveConfigArgs, type LimiterKeys, type ReserveConfig, type ReserveReply, type ReserveRequest } from './scripts';
import { SettleBatch } from './settle-batch';
import type {
  AcquireOptions,
  Grant,
  HaltOptions,
  LimiterStats,
  PauseCause,
  PauseOptions,
  Priority,
  RateLimiter,
  RateLimiterOptions,
} from './types';
import { WaiterQueue, type Waiter } from './waiters';

const now = () => performance.now();
const CAUSES: readonly PauseCause[] = ['requests', 'tokens', 'burst', 'unknown'];
/** The most a reservation asks Redis to place its slots ahead of now (see leadUs). */
const MAX_LEAD_MS = 100;
/** The most lateness beyond the margin a process asks to be allowed (reserve.lua caps it at a quarter window). */
const MAX_EXTENSION_MS = 250;

/** Backoff after failed Redis calls: 50 ms doubling to 1 s, ±20 % so processes do not retry in step. */
/**
 * What Redis knows a held slot by in settles and give-backs: its time, or for
 * an extended slot the time its tokens are logged at (slot + extension; a
 * slot given back is offered again there, still inside its allowed range).
 */
const logUs = (s: HeldSlot): number => s.redisUs + s.extUs;

function backoffMs(failures: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(failures - 1, 5)) * (0.8 + 0.4 * Math.random());
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  return new RedisRateLimiter(opts);
}

type Op = 'reserve' | 'release' | 'settle' | 'pause' | 'control' | 'stats';

/**
 * One process's side of a shared two-dimensional limit. Callers queue here;
 * a pump reserves slots on the Redis schedule for them (one script call per
 * lease, carrying settles and give-backs), sleeps until each slot's time and
 * hands it to the caller it was reserved for (or a vip caller that fits).
 * Nothing polls: the pump wakes for a slot, for the turn Redis gave it, for
 * a settle flush, or when a caller arrives.
 */
class RedisRateLimiter implements RateLimiter {
  readonly key: string;
  readonly rps: number;
  readonly tpm: number;
  private readonly cfg: ResolvedTuning;
  private readonly reserveConfig: readonly (string | number)[];
  private readonly keys: LimiterKeys;
  private readonly scripts: LimiterScripts;
  private readonly log: Logger;
  private readonly metrics: LimiterMetrics;
  private readonly waiters = new WaiterQueue();
  private readonly held = new HeldSlots();
  private readonly clock = new ClockMap();
  private readonly roundTrips = new RecentRoundTrips();
  /** How late this process's due slots came to dispatch (ms past their earliest time), for extensions. */
  private readonly lateness = new RecentSamples(64);
  private readonly settles = new SettleBatch();
  private readonly localGrants = new LocalGrantCounter();
  private readonly events: FleetEvents | undefined;

  /** The reservation call in flight; at most one. */
  private inFlight: Promise<void> | undefined;
  /** Give-backs and other calls close() must wait for. */
  private readonly background = new Set<Promise<unknown>>();
  /** When Redis said to come back for more (local ms): vip, and per normal lane. */
  private vipTurnAt: number | undefined;
  private readonly laneTurnAt = new Map<string, number>();
  private retryAt = 0;
  private failures = 0;
  /** No slot of this key is used before this (local ms). */
  private pausedUntil = 0;
  /** The halt reason as this process last saw it. */
  private halted: string | undefined;
  /**
   * When this process last learnt of a halt or resume other than from a
   * reservation's reply (its own halt()/resume(), a fleet event). A reply
   * to a reservation sent before that tells an older state and must not
   * undo it (the halted gauge flickered to 0 after halt()).
   */
  private haltKnownAt = -Infinity;
  private degraded = false;
  private idMismatchLogged = false;
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
    this.tpm = opts.tpm ?? 0;
    this.cfg = resolveTuning(opts.rps, this.tpm, opts);
    const c = this.cfg;
    const config: ReserveConfig = {
      iv: c.intervalUs,
      w: c.windowUs,
      tpw: c.tokensPerWindow,
      hv: c.horizonUs.vip,
      hn: c.horizonUs.normal,
      ho: c.overShareHorizonUs,
      tv: c.leaseSlots.vip,
      tn: c.leaseSlots.normal,
      fence: c.fenceUs,
      ramp: c.rampUs,
      floor: c.rampFloor,
      cold: c.coldAfterUs,
      rec: c.recoveryUs,
      pace: c.tokenPacing,
      recheck: HALT_RECHECK_MS * 1000,
      id: `${this.rps}/${this.tpm}`,
    };
    this.reserveConfig = reserveConfigArgs(config);
    this.keys = limiterKeys(c.keyPrefix, opts.key);
    this.scripts = new LimiterScripts(opts.redis);
    this.log = (opts.log ?? createLogger('rate-limiter', 'silent')).child({ limiter: opts.key });
    this.metrics = limiterMetrics(opts.registry);
    const key = { key: this.key };
    this.metrics.degraded.set(key, 0);
    this.metrics.halted.set(key, 0);
    this.metrics.limitRps.set(key, this.rps);
    this.metrics.limitTpm.set(key, this.tpm);
    if (c.checkpoints) watchDue(this);
    if (opts.subscriber !== false) {
      this.events = new FleetEvents(
        opts.subscriber ?? opts.redis.duplicate(),
        opts.subscriber === undefined,
        this.keys.channel,
        (e) => this.onFleetEvent(e),
        this.log,
      );
    }
  }

  acquire(opts: AcquireOptions = {}): Promise<Grant> {
    const priority = opts.priority ?? 'normal';
    const signal = opts.signal;
    if (this.closed) return Promise.reject(new RateLimiterClosedError(this.key));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let tokens: number;
    let lane: string;
    try {
      tokens = this.checkTokens(opts.tokens);
      lane = this.checkLane(priority, opts.lane);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Grant>((resolve, reject) => {
      const onAbort = () => {
        if (!this.waiters.remove(waiter)) return;
        this.metrics.waiting.dec({ key: this.key, priority });
        reject(abortReason(signal as AbortSignal));
        const slot = waiter.slot;
        if (slot) {
          this.unbind(slot);
          this.reassign(slot);
        }
        this.pump();
      };
      const waiter: Waiter = {
        priority,
        lane,
        tokens,
        since: now(),
        slot: undefined,
        grant: (slot, at, lateMs, window) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(
            new LimiterGrant(
              tokens,
              slot.probe,
              at,
              lateMs,
              window,
              (delta, cancelled) => this.adjust(logUs(slot), delta, cancelled),
              (missedBy) => this.missed(missedBy),
            ),
          );
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

  async pause(ms: number, opts: PauseOptions | string = {}): Promise<void> {
    const o = typeof opts === 'string' ? { reason: opts } : opts;
    const reason = o.reason ?? 'unspecified';
    const cause = o.cause ?? 'unknown';
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`rate limiter '${this.key}': pause(${ms}) needs a duration >= 0 ms`);
    if (!CAUSES.includes(cause)) throw new RangeError(`rate limiter '${this.key}': pause cause must be one of ${CAUSES.join(', ')}, got '${String(cause)}'`);
    const pauseMs = Math.min(ms, this.cfg.maxPauseMs);
    // A burst 429 without Retry-After still restarts the ramp.
    if (pauseMs === 0 && cause !== 'burst') return;
    // Stop this process at once; the script stops the others.
    this.applyPause(now() + pauseMs);
    this.metrics.pauses.inc({ key: this.key, cause });
    this.log.warn({ pauseMs, reason, cause }, 'pausing every process on this key');
    try {
      const sent = now();
      const r = await this.call('pause', () =>
        this.scripts.pause(this.keys, {
          pauseUs: pauseMs * 1000,
          reason,
          cause,
          factor: this.cfg.backoffFactor,
          min: this.cfg.minFactor,
          recoveryUs: this.cfg.recoveryUs,
        }),
      );
      this.clock.observe(sent, now(), r.nowUs);
      this.applyPause(this.clock.toLocal(r.pausedUntilUs, now()));
    } catch (err) {
      // Redis is unreachable: every process fails closed already, and this
      // one is paused locally. The caller's retry must not fail for it.
      this.log.warn({ err, pauseMs, reason }, 'could not store the pause in Redis; paused this process only');
    }
  }

  async halt(reason: string, opts: HaltOptions = {}): Promise<void> {
    if (typeof reason !== 'string' || reason.trim() === '') throw new RangeError(`rate limiter '${this.key}': halt() needs a reason`);
    const probeEveryMs = opts.probeEveryMs ?? DEFAULT_TUNING.probeEveryMs;
    if (!Number.isFinite(probeEveryMs) || probeEveryMs <= 0) {
      throw new RangeError(`rate limiter '${this.key}': probeEveryMs must be a number > 0, got ${probeEveryMs}`);
    }
    this.noteHalt(reason);
    try {
      await this.call('control', () => this.scripts.control(this.keys, 'halt', reason, probeEveryMs * 1000));
    } catch (err) {
      // Nothing is granted while Redis is unreachable anyway.
      this.log.warn({ err, reason }, 'could not store the halt in Redis');
    }
  }

  async resume(reason = 'resumed'): Promise<void> {
    // Replies to reservations sent before the resume reached Redis may still say "halted".
    const sent = now();
    const r = await this.call('control', () => this.scripts.control(this.keys, 'resume', reason));
    if (r.changed) this.log.info({ reason }, 'resumed LLM work fleet-wide');
    this.noteHalt(undefined, sent);
  }

  async stats(): Promise<LimiterStats> {
    const c = this.cfg;
    try {
      const r = await this.call('stats', () => this.scripts.stats(this.keys, { ramp: c.rampUs, floor: c.rampFloor, rec: c.recoveryUs }));
      const ms = (us: number) => Math.floor(us / 1000);
      const belowLimits = r.requestsFactor < 1 || r.tokensFactor < 1;
      return {
        key: this.key,
        rps: this.rps,
        tpm: this.tpm,
        grantedLastSecond: r.grantedLastSecond,
        tokensLastSecond: r.tokensLastSecond,
        grantedLast10s: r.grantedLast10s,
        tokensLast10s: r.tokensLast10s,
        pausedUntilMs: r.pausedUntilUs === undefined ? null : ms(r.pausedUntilUs),
        halted: r.haltReason === undefined ? null : { reason: r.haltReason, sinceMs: ms(r.haltedSinceUs), nextProbeMs: ms(r.nextProbeUs) },
        ramp: belowLimits
          ? { requestsFactor: r.requestsFactor, tokensFactor: r.tokensFactor, fullAtMs: r.fullAtUs === undefined ? null : ms(r.fullAtUs) }
          : null,
        lanes: r.lanes,
        mode: this.degraded ? 'degraded' : 'redis',
      };
    } catch (err) {
      this.log.debug({ err }, 'stats: Redis unreachable, reporting this process only');
      const local = this.localGrants.counts();
      const pausedMs = this.pausedUntil - now();
      return {
        key: this.key,
        rps: this.rps,
        tpm: this.tpm,
        grantedLastSecond: local.lastSecond,
        tokensLastSecond: local.tokensLastSecond,
        grantedLast10s: local.last10s,
        tokensLast10s: local.tokensLast10s,
        pausedUntilMs: pausedMs > 0 ? Math.floor(Date.now() + pausedMs) : null,
        halted: this.halted === undefined ? null : { reason: this.halted, sinceMs: 0, nextProbeMs: 0 },
        ramp: null,
        lanes: [],
        mode: 'degraded',
      };
    }
  }

  backlog(): number {
    return this.waiters.unboundCount();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    unwatchDue(this);
    this.clearTimers();
    for (const w of this.waiters.drain()) {
      this.metrics.waiting.dec({ key: this.key, priority: w.priority });
      w.slot = undefined;
      w.reject(new RateLimiterClosedError(this.key));
    }
    // A reply still on its way gives its slots back (see onReserved).
    if (this.inFlight) await this.bounded(this.inFlight);
    const slots = this.held.takeAll();
    for (const s of slots) s.waiter = undefined;
    // Gives back what is held and sends pending settles, in one call.
    this.giveBack(slots, true);
    await Promise.all([this.bounded(Promise.allSettled([...this.background])), this.events && this.bounded(this.events.close())]);
  }

  private checkTokens(tokens: number | undefined): number {
    if (tokens === undefined) return 0;
    if (!Number.isFinite(tokens) || tokens < 0) throw new RangeError(`rate limiter '${this.key}': tokens must be a number >= 0, got ${tokens}`);
    const n = Math.ceil(tokens);
    if (this.tpm > 0 && n > this.cfg.tokensPerWindow) {
      throw new RangeError(
        `rate limiter '${this.key}': a call of ${n} tokens can never be granted: the limit is ${this.cfg.tokensPerWindow} tokens per second (${this.tpm} per minute)`,
      );
    }
    return n;
  }

  private checkLane(priority: Priority, lane: string | undefined): string {
    if (lane !== undefined && !validLaneName(lane)) throw new RangeError(`rate limiter '${this.key}': '${lane}' is not a lane name (letters, digits, . _ -)`);
    // vip goes first whatever its lane; lanes share what it leaves.
    return priority === 'vip' ? 'vip' : (lane ?? DEFAULT_LANE);
  }

  /** A slot fits a caller when it carries at least the caller's tokens (any slot when there is no token limit). */
  private fits(w: Waiter, s: HeldSlot): boolean {
    return this.tpm === 0 || w.tokens <= s.tokens;
  }

  private bind(w: Waiter, s: HeldSlot): void {
    w.slot = s;
    s.waiter = w;
  }

  private unbind(s: HeldSlot): void {
    if (s.waiter) s.waiter.slot = undefined;
    s.waiter = undefined;
  }

  /** A held slot lost its caller: another waiting caller without a slot that fits takes it, else it goes back to Redis. */
  private reassign(s: HeldSlot): void {
    const w = this.waiters.find((u) => !u.slot && this.fits(u, s));
    if (w) return this.bind(w, s);
    this.held.remove(s);
    this.giveBack([s]);
  }

  /** Reserves when there is demand and nothing stops it; otherwise sleeps until what would. */
  private pump(): void {
    if (this.closed) return;
    this.armDispatch();
    if (this.inFlight) return;
    this.giveHeldToVip();
    const t = now();
    const max = this.cfg.maxLeaseSlots;
    const vip = this.waiters.unbound('vip', max);
    // With a token limit every lane's callers go along (best fit packs the window better); the turn is the oldest's lane's.
    const normal = this.tpm > 0 ? this.waiters.unboundAnyLane(max) : this.waiters.unbound('normal', max);
    const lane = normal[0]?.lane ?? DEFAULT_LANE;
    const laneTurn = this.laneTurnAt.get(lane);
    const vipDue = vip.length > 0 && !(this.vipTurnAt !== undefined && this.vipTurnAt > t);
    const normalDue = normal.length > 0 && !(laneTurn !== undefined && laneTurn > t);
    const flushAt = this.settles.oldestAt + this.cfg.settleFlushMs;
    if (!vipDue && !normalDue && flushAt > t) {
      const wake = Math.min(
        vip.length > 0 ? (this.vipTurnAt ?? Infinity) : Infinity,
        normal.length > 0 ? (laneTurn ?? Infinity) : Infinity,
        flushAt,
      );
      if (wake < Infinity) this.armWake(wake);
      return;
    }
    if (t < this.retryAt) return this.armWake(this.retryAt);
    this.reserve(vipDue ? vip : [], normalDue ? normal : [], lane);
  }

  /**
   * vip callers without a slot take the earliest held slots meant for
   * normal callers (that fit): no round trip of their own, and the normal
   * callers join their lane's next lease.
   */
  private giveHeldToVip(): void {
    for (const v of this.waiters.unbound('vip', this.cfg.maxLeaseSlots)) {
      const s = this.held.find((h) => h.waiter?.priority !== 'vip' && this.fits(v, h));
      if (!s) return;
      this.unbind(s);
      this.bind(v, s);
    }
  }

  private reserve(vip: Waiter[], normalWaiters: Waiter[], lane: string): void {
    // Callers passed over for PASS_OVER_MS go first and are held in place; the rest are placed best fit.
    const t = now();
    const isHeld = (w: Waiter) => w.passedOverAt !== undefined && t - w.passedOverAt >= PASS_OVER_MS;
    const heldWaiters = normalWaiters.filter(isHeld);
    const normal = heldWaiters.length > 0 ? [...heldWaiters, ...normalWaiters.filter((w) => !isHeld(w))] : normalWaiters;
    const req: ReserveRequest = {
      hn: this.normalHorizonUs(),
      vip: vip.map((w) => w.tokens),
      normal: normal.map((w) => w.tokens),
      held: heldWaiters.length,
      ...(normal.some((w) => w.lane !== lane) ? { normalLanes: normal.map((w) => w.lane), laneShares: this.cfg.laneShares } : {}),
      lane,
      share: this.cfg.laneShares[lane] ?? 0,
      release: [],
      adjust: this.settles.take(),
      leadUs: this.leadUs(),
      extUs: this.extensionUs(),
    };
    const sent = now();
    const op: Op = vip.length + normal.length > 0 ? 'reserve' : 'settle';
    this.inFlight = this.call(op, () => this.scripts.reserve(this.keys, this.reserveConfig, req))
      .then(
        (reply) => this.onReserved(reply, vip, normal, lane, sent, now()),
        (err: unknown) => this.onRedisError(err),
      )
      .finally(() => {
        this.inFlight = undefined;
        this.pump();
      });
  }

  private onReserved(r: ReserveReply, vip: Waiter[], normal: Waiter[], lane: string, sent: number, received: number): void {
    this.clock.observe(sent, received, r.nowUs);
    this.roundTrips.add(received - sent);
    const toLocal = (us: number) => this.clock.toLocal(us, received);
    this.noteState(r, toLocal, sent);
    this.failures = 0;
    if (vip.length > 0) this.vipTurnAt = r.vipTurnUs === undefined ? undefined : toLocal(r.vipTurnUs);
    if (normal.length > 0) {
      if (r.normalTurnUs === undefined) this.laneTurnAt.delete(lane);
      else this.laneTurnAt.set(lane, toLocal(r.normalTurnUs));
    }
    if (this.tpm > 0) this.notePassedOver(r, normal, sent);
    const giveBack: HeldSlot[] = [];
    for (const s of r.slots) {
      const slot: HeldSlot = { redisUs: s.slotUs, localAt: toLocal(s.slotUs), tokens: s.tokens, probe: s.probe, extUs: s.extUs, waiter: undefined };
      if (this.closed) {
        giveBack.push(slot);
        continue;
      }
      // Reserved before a halt this process already knows of (its reply was older): void.
      if (this.halted !== undefined && !slot.probe) {
        this.drop(slot, 'halted');
        continue;
      }
      const meant = (s.priority === 'vip' ? vip : normal)[s.index];
      // Callers may have left, or taken another slot, while the call was out.
      const w = meant && !meant.slot && this.waiters.has(meant) ? meant : this.waiters.find((u) => !u.slot && this.fits(u, slot));
      if (!w) {
        giveBack.push(slot);
        continue;
      }
      this.bind(w, slot);
      this.held.insert(slot);
    }
    this.giveBack(giveBack);
  }

  /** Callers of `normal` left without a slot while a later one got one: passed over (best fit), from `at`. */
  private notePassedOver(r: ReserveReply, normal: Waiter[], at: number): void {
    let latest = -Infinity;
    for (const s of r.slots) if (s.priority === 'normal') latest = Math.max(latest, normal[s.index]?.since ?? -Infinity);
    const placed = new Set(r.slots.filter((s) => s.priority === 'normal').map((s) => s.index));
    normal.forEach((w, i) => {
      if (!placed.has(i) && w.since < latest) w.passedOverAt ??= at;
    });
  }

  /**
   * The configured normal horizon, stretched to three typical round trips
   * when Redis answers slowly (loaded machine): slots must arrive before
   * their time to be used. Capped below the vip horizon.
   */
  private normalHorizonUs(): number {
    const { horizonUs, handoffMs } = this.cfg;
    const stretched = Math.round((3 * this.roundTrips.typical() + handoffMs) * 1000);
    return Math.min(Math.max(horizonUs.normal, stretched), Math.max(horizonUs.normal, Math.round(horizonUs.vip / 2)));
  }

  /**
   * How far ahead of Redis' now new slots must lie to reach this process
   * before their time: a typical round trip as this process sees it (the
   * reply's wait in a busy event loop included), at most MAX_LEAD_MS. On an
   * idle schedule a slot placed at Redis' now came back already later than
   * the margin whenever the reply took longer than it, and was dropped
   * (issue 12: more slots dropped `late` than granted under a busy pipeline).
   */
  private leadUs(): number {
    return Math.round(Math.min(this.roundTrips.typical(), MAX_LEAD_MS) * 1000);
  }

  /**
   * The extension this process asks for its slots (reserve.lua grants it
   * while the schedule is idle): when its event loop dispatches slots later
   * than half the margin (p90 of the last 64), one and a half times that
   * lateness, at most MAX_EXTENSION_MS. A loaded process then uses the idle
   * schedule's slots instead of dropping them `late` and reserving again.
   */
  private extensionUs(): number {
    const late = this.lateness.quantile(0.9);
    if (late <= this.cfg.marginMs / 2) return 0;
    return Math.round(Math.min(1.5 * late, MAX_EXTENSION_MS) * 1000);
  }

  /** What every reply says about the key: pause, halt, fence, budget factors, another process's limits. */
  private noteState(r: ReserveReply, toLocal: (us: number) => number, sent: number): void {
    if (r.pausedUntilUs !== undefined) this.applyPause(toLocal(r.pausedUntilUs));
    // A reply to a reservation sent before this process learnt of a halt or
    // resume tells an older state: it may neither clear nor set the halt.
    if (sent >= this.haltKnownAt) this.setHalted(r.haltReason);
    this.metrics.budgetFactor.set({ key: this.key, dimension: 'requests' }, r.requestsFactor);
    this.metrics.budgetFactor.set({ key: this.key, dimension: 'tokens' }, r.tokensFactor);
    if (r.fenced) {
      this.metrics.fences.inc({ key: this.key });
      this.log.warn(
        { fenceMs: this.cfg.fenceUs / 1000 },
        'limiter state missing or written by another Redis server (new key, restart, failover): no grants for one window',
      );
    }
    const id = `${this.rps}/${this.tpm}`;
    if (r.previousId !== undefined && r.previousId !== id && !this.idMismatchLogged) {
      this.idMismatchLogged = true;
      this.log.warn({ limits: id, otherLimits: r.previousId }, 'another process uses different limits (rps/tpm) on this key: they share one schedule, so configure every process alike');
    }
  }

  private onRedisError(err: unknown): void {
    this.failures++;
    this.retryAt = now() + backoffMs(this.failures);
    this.log.debug({ err, failures: this.failures }, 'reservation failed');
  }

  private onFleetEvent(e: FleetEvent): void {
    if (e.type === 'pause') {
      this.log.info({ remainingMs: e.remainingMs, reason: e.reason, cause: e.cause }, 'paused by another process');
      this.applyPause(now() + e.remainingMs);
    } else if (e.type === 'halt') this.noteHalt(e.reason);
    else this.noteHalt(undefined);
  }

  /** When the next held slot falls due (the dispatch timer's time): checkpoint.ts reads it. */
  get dueAt(): number {
    return this.dispatchAt;
  }

  /** A checkpoint found a slot due before the dispatch timer ran: hand it out now (checkpoint.ts). */
  dispatchDue(): void {
    if (this.closed || this.dispatchAt > now()) return;
    clearTimeout(this.dispatchTimer);
    this.dispatch();
  }

  /** Hands every due slot to its caller, or drops it when it cannot be used safely. */
  private dispatch(): void {
    this.dispatchTimer = undefined;
    this.dispatchAt = Infinity;
    // Slots are handed off this long before their time (handoffMs; 0: at their time).
    const ahead = this.cfg.handoffMs;
    for (let s = this.held.peek(); s && s.localAt <= now() + ahead; s = this.held.peek()) {
      const t = now();
      // The clock map may have learnt since the slot was mapped: never early.
      const earliest = this.clock.toLocal(s.redisUs, t);
      if (earliest > t + ahead) {
        this.held.shift();
        s.localAt = earliest;
        this.held.insert(s);
        break;
      }
      this.held.shift();
      if (s.localAt < this.pausedUntil) {
        this.drop(s, 'paused');
        continue;
      }
      if (this.tooLate(s, this.lateAt(s, t))) continue;
      const w = this.claim(s);
      if (!w) {
        this.drop(s, 'unclaimed');
        continue;
      }
      // The grant's moment is the clock read right before its caller is
      // resolved, and the margin is checked against that read, not the one
      // the loop began with: handing out a burst of slots (metrics, waiter
      // search, a GC pause among them) could otherwise grant the last ones
      // later than the margin allows (bench:limiter once saw 201 grants in a
      // second at R = 200).
      const at = now();
      const lateMs = this.lateAt(s, at);
      if (!this.tooLate(s, lateMs, w)) this.grant(w, s, at, lateMs);
    }
    this.pump();
  }

  /** How long after its slot's earliest possible real time slot `s` is used at `t` (ms, may be < 0). */
  private lateAt(s: HeldSlot, t: number): number {
    return t - this.clock.toLocalEarliest(s.redisUs, t);
  }

  /**
   * Drops slot `s` if used `lateMs` after its time is later than allowed.
   * The proof that no window exceeds a limit allows each grant to come at
   * most marginMs (plus the slot's extension, see reserve.lua) after its
   * slot's real time, which is no earlier than the clock map's lower bound.
   */
  private tooLate(s: HeldSlot, lateMs: number, claimedBy?: Waiter): boolean {
    if (lateMs <= this.cfg.marginMs + s.extUs / 1000) return false;
    this.noteLateness(lateMs);
    this.drop(s, 'late', claimedBy);
    return true;
  }

  /**
   * Who gets slot `s`: the oldest vip caller that fits (its own later slot,
   * if any, goes to the caller `s` was meant for), else the caller it was
   * meant for, else any caller without a slot that fits.
   */
  private claim(s: HeldSlot): Waiter | undefined {
    const own = s.waiter;
    if (own?.priority !== 'vip') {
      const v = this.waiters.find((u) => this.fits(u, s), ['vip']);
      if (v) {
        const theirs = v.slot;
        this.unbind(s);
        if (theirs) {
          this.unbind(theirs);
          if (own && this.fits(own, theirs)) this.bind(own, theirs);
          else this.reassign(theirs);
        }
        return v;
      }
    }
    if (own) {
      this.unbind(s);
      return own;
    }
    return this.waiters.find((u) => !u.slot && this.fits(u, s));
  }

  /** Resolves `w` with `s` at once (granted at `t`, a clock read just before, `late` ms after the slot's earliest time), then books it. */
  private grant(w: Waiter, s: HeldSlot, t: number, late: number): void {
    this.waiters.remove(w);
    w.slot = undefined;
    const lateMs = Math.max(0, late);
    // Never before the slot's latest mapping, never after its earliest one plus the margin (what tooLate checks).
    const window = { sendAt: Math.max(t, this.clock.toLocal(s.redisUs, t)), sendBy: t - late + this.cfg.marginMs + s.extUs / 1000 };
    w.grant(s, t, Math.max(0, lateMs - s.extUs / 1000), window);
    this.noteLateness(lateMs);
    if (lateMs > this.cfg.marginMs) this.metrics.extendedGrants.inc({ key: this.key });
    const labels = { key: this.key, priority: w.priority };
    this.metrics.waiting.dec(labels);
    this.metrics.grants.inc(labels);
    this.metrics.grantedTokens.inc(labels, w.tokens);
    this.metrics.waitSeconds.observe(labels, (t - w.since) / 1000);
    this.localGrants.record(w.tokens);
    // A slot carrying more tokens than its caller's: the rest goes back.
    if (this.tpm > 0 && s.tokens > w.tokens) this.settles.add([logUs(s), w.tokens - s.tokens, 0], t);
  }

  /** A granted request its caller could not send by the grant's sendBy (Grant.missed): a slot dropped late. */
  private missed(lateMs: number): void {
    this.noteLateness(lateMs);
    this.metrics.droppedSlots.inc({ key: this.key, reason: 'late' });
  }

  /** Each due slot's lateness once, granted or dropped: for the extension (p90 of recent ones) and the metric. */
  private noteLateness(lateMs: number): void {
    this.lateness.add(lateMs);
    this.metrics.dispatchLateness.observe({ key: this.key }, Math.max(0, lateMs) / 1000);
  }

  /** A grant's settle() or cancel(). */
  private adjust(slotUs: number, delta: number, cancelled: boolean): void {
    if (delta !== 0) this.metrics.settledTokens.inc({ key: this.key, direction: delta < 0 ? 'returned' : 'charged' }, Math.abs(delta));
    if (this.closed) return;
    this.settles.add([slotUs, delta, cancelled ? 1 : 0], now());
    this.pump();
  }

  /** An unused slot: its tokens (and its count in stats) go back with the next call. `w`: the caller it was for (one that claimed it is already unbound). */
  private drop(s: HeldSlot, reason: DropReason, w = s.waiter): void {
    this.unbind(s);
    this.metrics.droppedSlots.inc({ key: this.key, reason });
    this.settles.add([logUs(s), -s.tokens, 1], now());
    if (reason === 'late' && w) {
      // Its caller is first in line again: reserve for it at once, the give-back
      // riding along, so the window's tokens go to its new slot, not to waste.
      if (w.priority === 'vip') this.vipTurnAt = undefined;
      else this.laneTurnAt.delete(w.lane);
    }
  }

  private applyPause(localUntil: number): void {
    if (localUntil <= this.pausedUntil) return;
    this.pausedUntil = localUntil;
    // Slots held for the paused time are void: Redis hands out no slot
    // before the pause ends, so they need not be given back.
    for (const s of this.held.takeBefore(localUntil)) this.drop(s, 'paused');
    this.pump();
  }

  /** A halt or resume learnt from this process's own call or a fleet event: newer than any reply to a reservation sent before `at`. */
  private noteHalt(reason: string | undefined, at = now()): void {
    this.haltKnownAt = Math.max(this.haltKnownAt, at);
    this.setHalted(reason);
  }

  private setHalted(reason: string | undefined): void {
    if (reason === this.halted) return;
    const was = this.halted;
    this.halted = reason;
    this.metrics.halted.set({ key: this.key }, reason === undefined ? 0 : 1);
    if (reason !== undefined) {
      if (was === undefined) {
        this.log.error(
          { reason },
          `LLM work halted fleet-wide: ${reason}. One probe call per interval; resume with \`npm run limiter -- resume ${this.key}\``,
        );
      }
      // Held slots predate the halt (a probe slot comes with the reply that is handled after this).
      for (const s of this.held.takeAll()) this.drop(s, 'halted');
      return;
    }
    this.log.info({ haltedFor: was }, 'LLM work resumed');
    // Waiting processes were told to come back at the next probe: come back now.
    this.vipTurnAt = undefined;
    this.laneTurnAt.clear();
    this.pump();
  }

  /** Gives held slots back for anyone to use, with pending settles; `closing` sends even with nothing held. */
  private giveBack(slots: HeldSlot[], closing = false): void {
    if (slots.length === 0 && !(closing && this.settles.size > 0)) return;
    const req: ReserveRequest = {
      vip: [],
      normal: [],
      lane: DEFAULT_LANE,
      share: 0,
      release: slots.map((s) => [logUs(s), s.tokens]),
      adjust: this.settles.take(),
    };
    const op: Op = slots.length > 0 ? 'release' : 'settle';
    const p = this.call(op, () => this.scripts.reserve(this.keys, this.reserveConfig, req)).then(
      (r) => this.metrics.releasedSlots.inc({ key: this.key }, r.released),
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
  private async call<T>(op: Op, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new Error(`no reply from Redis within ${this.cfg.redisTimeoutMs} ms`);
        this.setDegraded(true, err);
        if (op !== 'reserve' && op !== 'settle') reject(err);
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

  private armDispatch(): void {
    const next = this.held.peek();
    if (!next) return;
    const at = next.localAt - this.cfg.handoffMs;
    if (this.dispatchTimer && this.dispatchAt <= at) return;
    clearTimeout(this.dispatchTimer);
    this.dispatchAt = at;
    // setTimeout may fire up to ~1 ms early; dispatch() re-checks the clock.
    this.dispatchTimer = setTimeout(() => this.dispatch(), Math.max(0, Math.ceil(at - now())));
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
