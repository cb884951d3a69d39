import { HeldSlots } from '../src/held-slots';
import { WaiterQueue, type Waiter } from '../src/waiters';

const waiter = (priority: 'vip' | 'normal', name: string): Waiter & { name: string } => ({
  name,
  priority,
  since: 0,
  grant: () => undefined,
  reject: () => undefined,
});

describe('WaiterQueue', () => {
  it('serves vip before normal, each in arrival order', () => {
    const q = new WaiterQueue();
    for (const w of [waiter('normal', 'n1'), waiter('vip', 'v1'), waiter('normal', 'n2'), waiter('vip', 'v2')]) q.push(w);
    const order: string[] = [];
    for (let w = q.shift(); w; w = q.shift()) order.push((w as ReturnType<typeof waiter>).name);
    expect(order).toEqual(['v1', 'v2', 'n1', 'n2']);
  });

  it('removes a waiter once', () => {
    const q = new WaiterQueue();
    const w = waiter('vip', 'v');
    q.push(w);
    expect(q.remove(w)).toBe(true);
    expect(q.remove(w)).toBe(false);
    expect(q.size).toBe(0);
  });
});

describe('HeldSlots', () => {
  const slot = (localAt: number) => ({ redisUs: localAt * 1000, localAt, rttMs: 0 });

  it('keeps slots in time order and gives back the latest first', () => {
    const h = new HeldSlots();
    for (const t of [30, 10, 20, 40]) h.insert(slot(t));
    expect(h.takeLatest(2).map((s) => s.localAt)).toEqual([30, 40]);
    expect(h.takeBefore(15).map((s) => s.localAt)).toEqual([10]);
    expect(h.takeAll().map((s) => s.localAt)).toEqual([20]);
  });
});
