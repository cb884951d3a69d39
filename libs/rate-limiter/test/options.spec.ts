import { resolveTuning } from '../src/options';

describe('resolveTuning', () => {
  it('spaces slots (1 s + margin) / rps apart, rounded up to the µs', () => {
    expect(resolveTuning(200, 0).intervalUs).toBe(5050);
    expect(resolveTuning(8, 0).intervalUs).toBe(126_250);
    expect(resolveTuning(3, 0, { marginMs: 10 }).intervalUs).toBe(336_667);
  });

  it('holds tpm / 60 tokens per window of 1 s + margin, rounded down', () => {
    const t = resolveTuning(200, 960_000);
    expect(t.tokensPerWindow).toBe(16_000);
    expect(t.windowUs).toBe(1_010_000);
    expect(resolveTuning(8, 1_000_001).tokensPerWindow).toBe(16_666);
    expect(resolveTuning(8, 0).tokensPerWindow).toBe(0);
  });

  it('leases half a normal horizon per turn, at least one slot', () => {
    const t = resolveTuning(200, 0);
    expect(t.leaseSlots.normal).toBe(4); // 50 ms / (2 × 5.05 ms)
    expect(resolveTuning(8, 0).leaseSlots.normal).toBe(1);
  });

  it('fences for one window past the longest horizon by default, never less than the horizon', () => {
    const t = resolveTuning(200, 0);
    expect(t.fenceUs).toBeGreaterThanOrEqual(t.windowUs + t.horizonUs.vip);
    expect(t.horizonUs.vip).toBeGreaterThan(t.horizonUs.normal);
    expect(resolveTuning(200, 0, { fenceMs: 0 }).fenceUs).toBeGreaterThan(t.horizonUs.vip);
  });

  it('moves every horizon and the fence handoffMs further ahead: a slot handed off that early must be held that early', () => {
    const base = resolveTuning(200, 0);
    const t = resolveTuning(200, 0, { handoffMs: 150 });
    expect(t.handoffMs).toBe(150);
    expect(t.horizonUs.normal - base.horizonUs.normal).toBe(150_000);
    expect(t.horizonUs.vip - base.horizonUs.vip).toBe(150_000);
    expect(t.fenceUs - base.fenceUs).toBe(150_000);
    expect(resolveTuning(200, 0, { fenceMs: 0, handoffMs: 150 }).fenceUs).toBeGreaterThan(t.horizonUs.vip);
    expect(base.handoffMs).toBe(0);
  });

  it.each([
    [0, {}],
    [10, { handoffMs: -1 }],
    [10, { handoffMs: 1001 }],
    [Number.NaN, {}],
    [10, { marginMs: 0 }],
    [10, { normalHorizonMs: 300, vipHorizonMs: 300 }],
    [10, { maxLeaseSlots: 1.5 }],
    [10, { rampFloor: 0 }],
    [10, { rampFloor: 1.5 }],
    [10, { tokenPacing: 0.9 }],
    [10, { laneShares: { a: 0.7, b: 0.5 } }],
    [10, { laneShares: { 'no spaces': 0.1 } }],
  ])('rejects rps %p with %p', (rps, tuning) => {
    expect(() => resolveTuning(rps, 0, tuning)).toThrow(RangeError);
  });

  it('rejects a negative token limit', () => {
    expect(() => resolveTuning(10, -1)).toThrow(RangeError);
  });
});
