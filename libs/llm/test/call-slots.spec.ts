import { Registry } from 'prom-client';
import { CallSlots, nextLimit, nextProduct, queueTarget, type ProductHead, type SizingSample } from '../src';

const bounds = { floor: 4, ceiling: 100 };
const sample = (s: Partial<SizingSample>): SizingSample => ({ limit: 20, active: 0, atLimiter: 0, queued: 0, grantRate: 0, ...s });

describe('sizing rule (nextLimit)', () => {
  it('grows when work waits for a slot and the limiter has (almost) nobody waiting', () => {
    const r = nextLimit(sample({ limit: 20, active: 20, atLimiter: 1, queued: 30, grantRate: 10 }), bounds);
    expect(r.decision).toBe('grow');
    expect(r.limit).toBe(25);
  });

  it('grows when every slot is busy even with nothing queued (a runner admits only what its slots can start)', () => {
    expect(nextLimit(sample({ limit: 20, active: 20, atLimiter: 0, queued: 0, grantRate: 15 }), bounds).decision).toBe('grow');
  });

  it('grows by at least one from a small limit', () => {
    expect(nextLimit(sample({ limit: 2, active: 2, queued: 1 }), { floor: 1, ceiling: 10 }).limit).toBe(3);
  });

  it('does not grow when callers already queue at the limiter (the budget binds)', () => {
    const r = nextLimit(sample({ limit: 20, active: 20, atLimiter: 4, queued: 30, grantRate: 10 }), bounds);
    expect(r.decision).toBe('hold');
    expect(r.limit).toBe(20);
  });

  it('does not grow without work beyond what it runs', () => {
    expect(nextLimit(sample({ limit: 20, active: 12, atLimiter: 0, queued: 0, grantRate: 50 }), bounds)).toEqual({ limit: 20, decision: 'hold' });
  });

  it('shrinks when callers queue at the limiter, towards what is at the provider plus the queue target, at most a fifth per tick', () => {
    // 60 at the limiter, 20 at the provider, 100 grants/s → target 10: wants 30, the step allows 80.
    const r = nextLimit(sample({ limit: 100, active: 80, atLimiter: 60, queued: 5, grantRate: 100 }), { floor: 4, ceiling: 200 });
    expect(r.decision).toBe('shrink');
    expect(r.limit).toBe(80);
    // Near the target the step no longer binds.
    const r2 = nextLimit(sample({ limit: 36, active: 36, atLimiter: 30, queued: 5, grantRate: 100 }), { floor: 4, ceiling: 200 });
    expect(r2.limit).toBe(29); // 0.8 × 36 = 28.8 → 29 > 6 + 10
  });

  it('respects the floor and the ceiling', () => {
    expect(nextLimit(sample({ limit: 5, active: 5, atLimiter: 5, queued: 9, grantRate: 1 }), bounds).limit).toBe(4);
    expect(nextLimit(sample({ limit: 4, active: 4, atLimiter: 4, queued: 9, grantRate: 1 }), bounds)).toEqual({ limit: 4, decision: 'hold' });
    expect(nextLimit(sample({ limit: 90, active: 90, queued: 50, grantRate: 500 }), bounds).limit).toBe(100);
    expect(nextLimit(sample({ limit: 100, active: 100, queued: 50, grantRate: 500 }), bounds)).toEqual({ limit: 100, decision: 'hold' });
    // A limit configured above the ceiling comes down to it.
    expect(nextLimit(sample({ limit: 150, active: 0 }), bounds).limit).toBe(100);
  });

  it("reads the limiter's backlog, when known, as its queue: callers whose slot is placed only wait for its time", () => {
    // 9 at the limiter at 30 grants/s (target 3) would shrink; but only 1 has no slot yet: the schedule has room, grow.
    expect(nextLimit(sample({ limit: 20, active: 20, atLimiter: 9, backlog: 1, queued: 30, grantRate: 30 }), bounds).decision).toBe('grow');
    expect(nextLimit(sample({ limit: 20, active: 20, atLimiter: 9, queued: 30, grantRate: 30 }), bounds).decision).toBe('shrink');
    // A backlog beyond twice the target is the budget binding: shrink towards what is at the provider plus the target.
    const r = nextLimit(sample({ limit: 100, active: 80, atLimiter: 60, backlog: 50, queued: 5, grantRate: 100 }), { floor: 4, ceiling: 200 });
    expect(r).toEqual({ limit: 80, decision: 'shrink' });
    // Between the two: hold.
    expect(nextLimit(sample({ limit: 20, active: 20, atLimiter: 9, backlog: 5, queued: 30, grantRate: 30 }), bounds)).toEqual({ limit: 20, decision: 'hold' });
  });

  it('keeps a tenth of a second of grants waiting at the limiter, at least 2', () => {
    expect(queueTarget(0)).toBe(2);
    expect(queueTarget(200)).toBe(20);
  });
});

describe('order of waiting calls (nextProduct)', () => {
  const head = (product: string | undefined, since: number, seen: number): ProductHead => ({ product, since, seen });

  it('lets the product the process has worked on longest go first, the longest waiting call among equals', () => {
    expect(nextProduct([head('later', 1, 50), head('first', 5, 0), head('middle', 3, 20)], 'product', 10, 20_000)).toBe(1);
    expect(nextProduct([head('a', 5, 0), head('b', 3, 0)], 'product', 10, 20_000)).toBe(1);
  });

  it('lets a call that has waited ageMs go first, whatever its product', () => {
    expect(nextProduct([head('first', 5, 0), head('small', 0, 50)], 'product', 20_000, 20_000)).toBe(1);
    expect(nextProduct([head('first', 5, 0), head('small', 0, 50)], 'product', 19_999, 20_000)).toBe(0);
  });

  it('lets calls without a product go before any product', () => {
    expect(nextProduct([head('a', 0, 0), head(undefined, 9, 0)], 'product', 10, 20_000)).toBe(1);
  });

  it('is first come, first served under arrival', () => {
    expect(nextProduct([head('first', 5, 0), head('later', 2, 50)], 'arrival', 10, 20_000)).toBe(1);
  });

  it('answers -1 with nobody waiting', () => {
    expect(nextProduct([], 'product', 0, 1)).toBe(-1);
  });
});

describe('CallSlots', () => {
  const slots: CallSlots[] = [];
  const make = (o: { floor?: number; ceiling?: number; order?: 'product' | 'arrival'; ageMs?: number; forgetMs?: number; backlog?: () => number } = {}) => {
    const s = new CallSlots({ service: 'test', registry: new Registry(), tickMs: 60_000, ...o });
    slots.push(s);
    return s;
  };
  afterEach(() => slots.splice(0).forEach((s) => s.close()));

  it('lets `floor` calls through at first and queues the rest, vip before normal', async () => {
    const s = make({ floor: 2, ceiling: 10 });
    const a = await s.acquire();
    const b = await s.acquire();
    const order: string[] = [];
    const n = s.acquire('normal').then((r) => (order.push('normal'), r));
    const v = s.acquire('vip').then((r) => (order.push('vip'), r));
    expect(s.state()).toMatchObject({ limit: 2, active: 2, queued: 2 });
    a();
    const rv = await v;
    expect(order).toEqual(['vip']);
    b();
    const rn = await n;
    expect(order).toEqual(['vip', 'normal']);
    rv();
    rn();
    rn(); // a second release does not free a second slot
    expect(s.state().active).toBe(0);
  });

  it('grows on a tick when work waits and the limiter is idle, and hands the new slots out at once', async () => {
    const s = make({ floor: 4, ceiling: 100 });
    const held = await Promise.all([0, 1, 2, 3].map(() => s.acquire()));
    const waiting = Array.from({ length: 10 }, () => s.acquire());
    s.tick();
    expect(s.lastDecision).toBe('grow');
    expect(s.state()).toMatchObject({ limit: 5, active: 5, queued: 9 });
    for (let i = 0; i < 10; i++) s.tick();
    expect(s.state().queued).toBe(0);
    const all = [...held, ...(await Promise.all(waiting))];
    expect(s.state().active).toBe(14);
    all.forEach((r) => r());
  });

  it('shrinks on a tick while its callers queue at the limiter, and does not hand out freed slots above the new limit', async () => {
    const s = make({ floor: 2, ceiling: 100 });
    for (let i = 0; i < 12; i++) s.tick(); // nothing open: holds at the floor
    expect(s.state().limit).toBe(2);
    // Grow to 20 with work waiting.
    const held: (() => void)[] = [];
    const pending = Array.from({ length: 40 }, () => s.acquire().then((r) => held.push(r)));
    while (s.state().limit < 20) s.tick();
    await Promise.resolve();
    const limit = s.state().limit;
    // Every open call now waits for the limiter: shrink.
    for (let i = 0; i < s.state().active; i++) s.enterLimiter();
    s.tick();
    expect(s.lastDecision).toBe('shrink');
    expect(s.state().limit).toBeLessThan(limit);
    await new Promise((r) => setImmediate(r));
    const before = s.state().active;
    held.splice(0, 5).forEach((r) => r());
    expect(s.state().active).toBe(before - 5); // the queued 20 stay queued: above the new limit
    void pending;
  });

  it("sizes by the limiter's backlog when given one: calls waiting for their placed slot do not stop it growing", async () => {
    let backlog = 0;
    const s = make({ floor: 4, ceiling: 100, backlog: () => backlog });
    const held = await Promise.all([0, 1, 2, 3].map(() => s.acquire()));
    const waiting = Array.from({ length: 10 }, () => s.acquire());
    // Every open call waits at the limiter, each with its slot placed.
    for (let i = 0; i < 4; i++) s.enterLimiter();
    s.tick();
    expect(s.lastDecision).toBe('grow');
    // Now none of them has a slot: the schedule is full.
    backlog = 5;
    s.tick();
    expect(s.lastDecision).toBe('shrink');
    for (let i = 0; i < 30; i++) s.tick();
    expect(s.state().limit).toBe(4);
    held.forEach((r) => r());
    await Promise.all(waiting.map((p) => p.then((r) => r())));
  });

  it('finishes the product it began first before the next one: calls of a product seen later wait, even when they came earlier', async () => {
    const s = make({ floor: 1, ceiling: 1 });
    const first = await s.acquire('normal', undefined, 'first');
    const order: string[] = [];
    // Each call gives its slot back as soon as it has it: the next waiter is the order's choice.
    const take = (p: string) => s.acquire('normal', undefined, p).then((r) => (order.push(p), r()));
    const calls = [take('second'), take('first'), take('second'), take('first')];
    first();
    await Promise.all(calls);
    expect(order).toEqual(['first', 'first', 'second', 'second']);
    expect(s.state()).toMatchObject({ active: 0, queued: 0 });
  });

  it('forgets a product idle for forgetMs: its next calls start behind the products in hand', async () => {
    const s = make({ floor: 1, ceiling: 1, forgetMs: 0 });
    (await s.acquire('normal', undefined, 'old'))();
    const held = await s.acquire('normal', undefined, 'other');
    const order: string[] = [];
    s.tick(); // forgets 'old' (idle, forgetMs 0); 'other' is open and kept
    const calls = ['old', 'other'].map((p) => s.acquire('normal', undefined, p).then((r) => (order.push(p), r())));
    held();
    await Promise.all(calls);
    expect(order).toEqual(['other', 'old']);
  });

  it('lets calls through in arrival order under LLM_SLOT_ORDER=arrival, and lets a call that waited ageMs go first', async () => {
    const run = async (o: { order?: 'product' | 'arrival'; ageMs?: number }) => {
      const s = make({ floor: 1, ceiling: 1, ...o });
      const first = await s.acquire('normal', undefined, 'first');
      const order: string[] = [];
      const calls = ['second', 'first', 'first'].map((p) => s.acquire('normal', undefined, p).then((r) => (order.push(p), r())));
      first();
      await Promise.all(calls);
      return order;
    };
    expect(await run({ order: 'arrival' })).toEqual(['second', 'first', 'first']);
    expect(await run({ order: 'product', ageMs: 0 })).toEqual(['second', 'first', 'first']);
    expect(await run({ order: 'product' })).toEqual(['first', 'first', 'second']);
  });

  it('an aborted wait leaves the queue and rejects with the reason', async () => {
    const s = make({ floor: 1, ceiling: 1 });
    const r = await s.acquire();
    const ctl = new AbortController();
    const p = s.acquire('normal', ctl.signal);
    ctl.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(s.state().queued).toBe(0);
    r();
  });

  it('counts grants for the sizing rule (leaveLimiter)', () => {
    const s = make({ floor: 4, ceiling: 100 });
    s.enterLimiter();
    expect(s.state().atLimiter).toBe(1);
    s.leaveLimiter(true);
    expect(s.state().atLimiter).toBe(0);
  });

  it('rejects bounds that make no sense', () => {
    expect(() => make({ floor: 0 })).toThrow(RangeError);
    expect(() => make({ floor: 10, ceiling: 5 })).toThrow(RangeError);
  });
});
