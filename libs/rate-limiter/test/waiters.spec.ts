import { HeldSlots, type HeldSlot } from '../src/held-slots';
import { WaiterQueue, type Waiter } from '../src/waiters';

const waiter = (priority: 'vip' | 'normal', name: string, lane = 'default'): Waiter & { name: string } => ({
  name,
  priority,
  lane,
  tokens: 0,
  since: 0,
  slot: undefined,
  grant: () => undefined,
  reject: () => undefined,
});

describe('WaiterQueue', () => {
  it('finds vip before normal, each in arrival order', () => {
    const q = new WaiterQueue();
    for (const w of [waiter('normal', 'n1'), waiter('vip', 'v1'), waiter('normal', 'n2'), waiter('vip', 'v2')]) q.push(w);
    const order: string[] = [];
    for (let w = q.find(() => true); w; w = q.find(() => true)) {
      order.push((w as ReturnType<typeof waiter>).name);
      q.remove(w);
    }
    expect(order).toEqual(['v1', 'v2', 'n1', 'n2']);
  });

  it('lists callers without a slot, normal ones of the oldest such lane only', () => {
    const q = new WaiterQueue();
    const ws = [waiter('normal', 'a1', 'a'), waiter('normal', 'b1', 'b'), waiter('normal', 'a2', 'a'), waiter('normal', 'a3', 'a')];
    for (const w of ws) q.push(w);
    const names = (max: number) => q.unbound('normal', max).map((w) => (w as ReturnType<typeof waiter>).name);
    (ws[0] as Waiter).slot = {} as HeldSlot;
    expect(names(10)).toEqual(['b1']);
    (ws[1] as Waiter).slot = {} as HeldSlot;
    expect(names(10)).toEqual(['a2', 'a3']);
    expect(names(1)).toEqual(['a2']);
  });

  it('lists normal callers without a slot of every lane, in arrival order (best fit, with a token limit)', () => {
    const q = new WaiterQueue();
    const ws = [waiter('normal', 'a1', 'a'), waiter('vip', 'v1'), waiter('normal', 'b1', 'b'), waiter('normal', 'a2', 'a'), waiter('normal', 'c1', 'c')];
    for (const w of ws) q.push(w);
    const names = (max: number) => q.unboundAnyLane(max).map((w) => (w as ReturnType<typeof waiter>).name);
    expect(names(10)).toEqual(['a1', 'b1', 'a2', 'c1']);
    (ws[2] as Waiter).slot = {} as HeldSlot;
    expect(names(10)).toEqual(['a1', 'a2', 'c1']);
    expect(names(2)).toEqual(['a1', 'a2']);
  });

  it('removes a waiter once', () => {
    const q = new WaiterQueue();
    const w = waiter('vip', 'v');
    q.push(w);
    expect(q.has(w)).toBe(true);
    expect(q.remove(w)).toBe(true);
    expect(q.remove(w)).toBe(false);
    expect(q.has(w)).toBe(false);
    expect(q.size).toBe(0);
  });
});

describe('HeldSlots', () => {
  const slot = (localAt: number): HeldSlot => ({ redisUs: localAt * 1000, localAt, tokens: 0, probe: false, extUs: 0, waiter: undefined });

  it('keeps slots in time order', () => {
    const h = new HeldSlots();
    const slots = [30, 10, 20, 40].map(slot);
    for (const s of slots) h.insert(s);
    expect(h.remove(slots[3] as HeldSlot)).toBe(true);
    expect(h.remove(slots[3] as HeldSlot)).toBe(false);
    expect(h.takeBefore(15).map((s) => s.localAt)).toEqual([10]);
    expect(h.peek()?.localAt).toBe(20);
    expect(h.takeAll().map((s) => s.localAt)).toEqual([20, 30]);
  });
});
