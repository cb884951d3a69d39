import { ClockMap } from '../src/clock-map';

// Redis' clock runs 5e6 ms ahead of the local one in these tests (small enough for 6-digit comparisons).
const OFFSET_MS = 5e6;
const redisUs = (localMs: number) => (localMs + OFFSET_MS) * 1000;

describe('ClockMap', () => {
  it('never maps a Redis time earlier than it can be, and narrows to the best recent round trip', () => {
    const m = new ClockMap(0);
    // Redis read its clock 1 ms into a 4 ms round trip …
    m.observe(100, 104, redisUs(101));
    expect(m.toLocal(redisUs(200), 104)).toBeCloseTo(203, 6);
    expect(m.uncertaintyMs(104)).toBeCloseTo(4, 6);
    // … then a fast 0.2 ms reply: the intersection is as narrow as that one.
    m.observe(200, 200.2, redisUs(200.1));
    expect(m.uncertaintyMs(201)).toBeCloseTo(0.2, 6);
    // A reply stalled 30 ms in this process's event loop does not widen it.
    m.observe(300, 330, redisUs(300.1));
    expect(m.uncertaintyMs(331)).toBeCloseTo(0.2, 6);
    expect(m.toLocal(redisUs(400), 331)).toBeCloseTo(400.1, 6);
    expect(m.toLocalEarliest(redisUs(400), 331)).toBeCloseTo(399.9, 6);
  });

  it('widens the bounds with age at the drift rate', () => {
    const m = new ClockMap(500);
    m.observe(0, 1, redisUs(0.5));
    const w0 = m.uncertaintyMs(1);
    // 10 s later: ± 5 ms of possible drift at 500 ppm.
    expect(m.uncertaintyMs(10_001) - w0).toBeCloseTo(10, 3);
  });

  it('starts afresh when a reply contradicts the bounds (clock step, failover to another host)', () => {
    const m = new ClockMap(0);
    m.observe(0, 0.2, redisUs(0.1));
    // Redis' clock now reads 50 ms behind: impossible under the old offset.
    m.observe(100, 100.4, redisUs(100.2) - 50_000);
    expect(m.uncertaintyMs(101)).toBeCloseTo(0.4, 6);
    expect(m.toLocal(redisUs(200) - 50_000, 101)).toBeCloseTo(200.2, 6);
  });

  it('refuses to map before any reply', () => {
    const m = new ClockMap();
    expect(m.ready).toBe(false);
    expect(() => m.toLocal(1, 0)).toThrow(/no reply/);
    expect(m.uncertaintyMs(0)).toBe(Infinity);
  });
});
