import { resolveTuning } from '../src/options';

describe('resolveTuning', () => {
  it('spaces slots (1 s + margin) / rps apart, rounded up to the µs', () => {
    expect(resolveTuning(200).intervalUs).toBe(5050);
    expect(resolveTuning(8).intervalUs).toBe(126_250);
    expect(resolveTuning(3, { marginMs: 10 }).intervalUs).toBe(336_667);
  });

  it('leases half a normal horizon per turn, at least one slot', () => {
    const t = resolveTuning(200);
    expect(t.leaseSlots.normal).toBe(9); // 100 ms / (2 × 5.05 ms)
    expect(resolveTuning(8).leaseSlots.normal).toBe(1);
  });

  it('starts a missing schedule past the longest horizon', () => {
    const t = resolveTuning(200);
    expect(t.initDelayUs).toBeGreaterThan(t.horizonUs.vip);
    expect(t.horizonUs.vip).toBeGreaterThan(t.horizonUs.normal);
  });

  it.each([
    [0, {}],
    [Number.NaN, {}],
    [10, { marginMs: 0 }],
    [10, { normalHorizonMs: 300, vipHorizonMs: 300 }],
    [10, { maxLeaseSlots: 1.5 }],
  ])('rejects rps %p with %p', (rps, tuning) => {
    expect(() => resolveTuning(rps, tuning)).toThrow(RangeError);
  });
});
