import { Gauge, Registry } from 'prom-client';
import { getOrCreate } from '../metrics';
import type { Priority } from '../limiter';
import { nextProduct, type ProductHead, type SlotOrder } from './order';
import { nextLimit, type SizingBounds, type SizingDecision } from './sizing';

/** Defaults of the sizing bounds (LLM_MIN_IN_FLIGHT, LLM_MAX_IN_FLIGHT) and its tick, in one place. */
export const DEFAULT_CALL_SLOTS = Object.freeze({
  floor: 8,
  /** ~600 open calls of a few KB each stay well inside a service's 150 MB (issue 12 items 1 and 5). */
  ceiling: 600,
  tickMs: 250,
  /** LLM_SLOT_ORDER: a product's calls first (order.ts). */
  order: 'product' as SlotOrder,
  /** A normal call waiting this long goes first whatever its product (no starvation). */
  ageMs: 20_000,
  /** A product with no call open this long is forgotten: its next call starts it anew, behind the others. */
  forgetMs: 60_000,
});

export interface CallSlotsOptions {
  /** Fewest calls the process keeps open when it has work (default 8). */
  floor?: number;
  /** Most calls it ever keeps open: the memory-safe ceiling (default 600). */
  ceiling?: number;
  /** How often the limit is re-sized while calls are open (default 250 ms). */
  tickMs?: number;
  /** Which waiting normal call goes next (default 'product': order.ts). */
  order?: SlotOrder;
  /** Under 'product', a call waiting this long goes first (default 20 s). */
  ageMs?: number;
  /** A product with no call open this long is forgotten (default 60 s). */
  forgetMs?: number;
  /** The limiter's backlog (RateLimiter.backlog()): the sizing rule's queue signal; without it every call at the limiter counts. */
  backlog?: () => number;
  service: string;
  registry?: Registry;
}

/** What CallSlots shows of itself (the runner's admission reads `limit`). */
export interface CallSlotsState {
  limit: number;
  active: number;
  atLimiter: number;
  queued: number;
}

interface Queued {
  product: string | undefined;
  since: number;
  resolve: (release: () => void) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

function gauge(registry: Registry, name: string, help: string): Gauge<'service'> {
  return getOrCreate(registry, name, () => new Gauge({ name, help, labelNames: ['service'] as const, registers: [registry] }));
}

/**
 * The process's open LLM calls (issue 12 item 1): a semaphore whose size
 * follows the limiter (sizing.ts). A call takes a slot before it asks the
 * limiter and gives it back when its attempt ends; vip calls are let
 * through before normal ones. While calls are open, a timer re-sizes the
 * limit every tickMs (unref'd: it never keeps a process alive).
 */
export class CallSlots {
  private limitNow: number;
  private active = 0;
  private atLimiter = 0;
  private readonly vip: Queued[] = [];
  /** Normal waiters by product, each in arrival order (which product goes next: order.ts, from `products`). */
  private readonly normal = new Map<string | undefined, Queued[]>();
  private normalCount = 0;
  /** Per product: calls holding or waiting for a slot, when the process first had one open (the 'product' order's key), when its last one ended. */
  private readonly products = new Map<string, { open: number; seen: number; idleSince: number | undefined }>();
  private readonly order: SlotOrder;
  private readonly ageMs: number;
  private readonly forgetMs: number;
  private grants = 0;
  private tickedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly bounds: SizingBounds;
  private readonly tickMs: number;
  private readonly backlog: (() => number) | undefined;
  private readonly labels: { service: string };
  private readonly gauges: { limit: Gauge<'service'>; active: Gauge<'service'>; queued: Gauge<'service'> };
  /** The last decision, for tests and logs. */
  lastDecision: SizingDecision = 'hold';

  constructor(opts: CallSlotsOptions) {
    const floor = opts.floor ?? DEFAULT_CALL_SLOTS.floor;
    const ceiling = opts.ceiling ?? DEFAULT_CALL_SLOTS.ceiling;
    if (!Number.isInteger(floor) || floor < 1) throw new RangeError(`LLM call slots: floor must be an integer >= 1, got ${floor}`);
    if (!Number.isInteger(ceiling) || ceiling < floor) throw new RangeError(`LLM call slots: ceiling must be an integer >= floor (${floor}), got ${ceiling}`);
    this.bounds = { floor, ceiling };
    this.tickMs = opts.tickMs ?? DEFAULT_CALL_SLOTS.tickMs;
    this.order = opts.order ?? DEFAULT_CALL_SLOTS.order;
    this.ageMs = opts.ageMs ?? DEFAULT_CALL_SLOTS.ageMs;
    this.forgetMs = opts.forgetMs ?? DEFAULT_CALL_SLOTS.forgetMs;
    this.backlog = opts.backlog;
    this.limitNow = floor;
    this.labels = { service: opts.service };
    const registry = opts.registry ?? new Registry();
    this.gauges = {
      limit: gauge(registry, 'llm_call_slots_limit', 'LLM calls this process lets through to the limiter at once (self-sized between LLM_MIN_IN_FLIGHT and LLM_MAX_IN_FLIGHT)'),
      active: gauge(registry, 'llm_call_slots_active', 'LLM calls holding a slot: waiting for the limiter or at the provider'),
      queued: gauge(registry, 'llm_call_slots_queued', 'LLM calls waiting for a slot'),
    };
    this.gauges.limit.set(this.labels, this.limitNow);
  }

  state(): CallSlotsState {
    return { limit: this.limitNow, active: this.active, atLimiter: this.atLimiter, queued: this.queued() };
  }

  /**
   * Resolves with the slot's release function once a slot is free (vip first, then normal calls in
   * the configured order: `product` groups them by product); rejects if `signal` aborts first.
   */
  acquire(priority: Priority = 'normal', signal?: AbortSignal, product?: string): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.arm();
    this.count(product, +1);
    if (this.active < this.limitNow && this.queued() === 0) return Promise.resolve(this.take(product));
    return new Promise((resolve, reject) => {
      const q: Queued = {
        product,
        since: performance.now(),
        resolve,
        reject,
        signal,
        onAbort: () => {
          if (!this.unqueue(priority, q)) return;
          this.count(product, -1);
          this.publish();
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', q.onAbort, { once: true });
      if (priority === 'vip') this.vip.push(q);
      else {
        const list = this.normal.get(product);
        if (list) list.push(q);
        else this.normal.set(product, [q]);
        this.normalCount++;
      }
      this.publish();
    });
  }

  /** A slot's call now waits for the limiter; `granted` when it got its grant (or gave up waiting). */
  enterLimiter(): void {
    this.atLimiter++;
  }

  leaveLimiter(granted: boolean): void {
    this.atLimiter--;
    if (granted) this.grants++;
  }

  /** Stops the sizing timer; queued calls still get slots as open ones end. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One re-sizing step (the timer's; tests call it directly). */
  tick(at = performance.now()): void {
    const seconds = Math.max(0.001, (at - this.tickedAt) / 1000);
    const { limit, decision } = nextLimit(
      {
        limit: this.limitNow,
        active: this.active,
        atLimiter: this.atLimiter,
        ...(this.backlog ? { backlog: this.backlog() } : {}),
        queued: this.queued(),
        grantRate: this.grants / seconds,
      },
      this.bounds,
    );
    this.grants = 0;
    this.tickedAt = at;
    this.limitNow = limit;
    this.lastDecision = decision;
    this.forget(at);
    this.drain();
    this.publish();
    if (this.active === 0 && this.queued() === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private queued(): number {
    return this.vip.length + this.normalCount;
  }

  private count(product: string | undefined, by: 1 | -1): void {
    if (product === undefined) return;
    const now = performance.now();
    const p = this.products.get(product) ?? { open: 0, seen: now, idleSince: undefined };
    p.open += by;
    p.idleSince = p.open > 0 ? undefined : now;
    this.products.set(product, p);
  }

  /** Forgets products idle for forgetMs (the map stays as small as the products in hand). */
  private forget(now: number): void {
    for (const [product, p] of this.products) if (p.idleSince !== undefined && now - p.idleSince >= this.forgetMs) this.products.delete(product);
  }

  private take(product: string | undefined): () => void {
    this.active++;
    this.publish();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.count(product, -1);
      this.drain();
      this.publish();
    };
  }

  /** Removes a waiter that gave up; false when it was already let through. */
  private unqueue(priority: Priority, q: Queued): boolean {
    if (priority === 'vip') {
      const i = this.vip.indexOf(q);
      if (i < 0) return false;
      this.vip.splice(i, 1);
      return true;
    }
    const list = this.normal.get(q.product);
    const i = list ? list.indexOf(q) : -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.normal.delete(q.product);
    this.normalCount--;
    return true;
  }

  /** The next normal waiter (order.ts), taken off its product's queue. */
  private nextNormal(): Queued | undefined {
    if (this.normalCount === 0) return undefined;
    const keys = [...this.normal.keys()];
    const heads: ProductHead[] = keys.map((product) => ({
      product,
      since: this.normal.get(product)![0]!.since,
      seen: product === undefined ? 0 : (this.products.get(product)?.seen ?? 0),
    }));
    const key = keys[nextProduct(heads, this.order, performance.now(), this.ageMs)];
    const list = this.normal.get(key)!;
    const q = list.shift()!;
    if (list.length === 0) this.normal.delete(key);
    this.normalCount--;
    return q;
  }

  private drain(): void {
    while (this.active < this.limitNow) {
      const q = this.vip.shift() ?? this.nextNormal();
      if (!q) return;
      q.signal?.removeEventListener('abort', q.onAbort);
      q.resolve(this.take(q.product));
    }
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    this.tickedAt = performance.now();
    this.forget(this.tickedAt);
    this.grants = 0;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  private publish(): void {
    this.gauges.limit.set(this.labels, this.limitNow);
    this.gauges.active.set(this.labels, this.active);
    this.gauges.queued.set(this.labels, this.queued());
  }
}
