import { AccountLimits } from '../src/limits';

const limits = (over: Partial<ConstructorParameters<typeof AccountLimits>[0]> = {}) =>
  new AccountLimits({ rpsLimit: 0, tpmLimit: 0, burstFactor: 0, burstFloorRps: 50, ...over });

describe('AccountLimits (synthetic clock)', () => {
  it('refuses requests above RPS in a sliding second (the minute limit, 60 × RPS, follows from it)', () => {
    const l = limits({ rpsLimit: 10 });
    // 10 in one second pass, the 11th is refused.
    const first = Array.from({ length: 11 }, (_, i) => l.arrive(i * 10));
    expect(first.slice(0, 10).every((r) => r === undefined)).toBe(true);
    expect(first[10]).toMatchObject({ cause: 'requests', retryAfterMs: 1000 });

    // The minute limit (60 × RPS) is checked too, but with every sliding second exact it cannot bind first:
    // a sliding minute is 60 disjoint sliding seconds. 10 per second for a minute all pass.
    const l2 = limits({ rpsLimit: 10 });
    expect(Array.from({ length: 600 }, (_, i) => l2.arrive(1100 + i * 100)).filter(Boolean)).toHaveLength(0);
  });

  it('counts a call by the tokens it reserves, per second (TPM/60; the minute, TPM, follows)', () => {
    const l = limits({ tpmLimit: 6000 }); // 100 per second
    expect(l.admitTokens(0, 60)).toBeUndefined();
    expect(l.admitTokens(10, 40)).toBeUndefined();
    const refused = l.admitTokens(20, 1);
    expect(refused).toMatchObject({ cause: 'tokens' });
    expect(refused!.message).toContain('Allocated quota exceeded');
    // A refused call records nothing: one second after the first, 60 are free again.
    expect(l.admitTokens(1000, 60)).toBeUndefined();

    // As for requests, 99 tokens a second for a minute stay within both the second's 100 and the minute's 6000.
    const m = limits({ tpmLimit: 6000 });
    for (let s = 0; s < 60; s++) expect(m.admitTokens(s * 1000 + 1, 99)).toBeUndefined();
  });

  it('tells a token refusal when the window frees enough (Retry-After)', () => {
    const l = limits({ tpmLimit: 60_000 }); // 1000 per second
    l.admitTokens(0, 900);
    const refused = l.admitTokens(300, 500);
    expect(refused?.retryAfterMs).toBe(1000);
  });

  it('burst rule: off by default; when on, a second far above the one before is refused, a ramp is not', () => {
    const off = limits({ rpsLimit: 1000 });
    expect(Array.from({ length: 200 }, (_, i) => off.arrive(i)).some(Boolean)).toBe(false);

    const on = limits({ rpsLimit: 1000, burstFactor: 3, burstFloorRps: 50 });
    // From idle to 200 in one second: refused once past the floor.
    const burst = Array.from({ length: 200 }, (_, i) => on.arrive(i * 5));
    expect(burst.findIndex(Boolean)).toBe(50);
    expect(burst.find(Boolean)).toMatchObject({ cause: 'burst' });

    // A ramp of +40 % per second from 40 RPS (under the floor) never trips it.
    const ramp = limits({ rpsLimit: 1000, burstFactor: 3, burstFloorRps: 50 });
    let t = 0;
    let rate = 40;
    let refused = 0;
    for (let s = 0; s < 12; s++, rate = Math.min(400, rate * 1.4)) {
      for (let i = 0; i < Math.round(rate); i++) if (ramp.arrive((t += 1000 / Math.round(rate)))) refused++;
    }
    expect(refused).toBe(0);
  });
});
