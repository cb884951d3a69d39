import { longestConsumerStall, longestSilence, longestStall } from '../src/stalls';

describe('longestStall', () => {
  it('is the longest time with reviews waiting and none done', () => {
    const events = [
      { queuedAt: 0, doneAt: 1000 },
      { queuedAt: 0, doneAt: 2000 },
      { queuedAt: 0, doneAt: 9000 },
      { queuedAt: 500, doneAt: 9500 },
    ];
    expect(longestStall(events, 0, 20_000)).toBe(7000);
  });

  it('does not count idle time, when nothing waits', () => {
    const events = [
      { queuedAt: 0, doneAt: 1000 },
      { queuedAt: 10_000, doneAt: 11_000 },
    ];
    expect(longestStall(events, 0, 20_000)).toBe(1000);
  });

  it('counts up to the end of the window for work never done, and clips to the window', () => {
    expect(longestStall([{ queuedAt: 1000, doneAt: null }], 0, 4000)).toBe(3000);
    expect(longestStall([{ queuedAt: 0, doneAt: 10_000 }], 6000, 20_000)).toBe(4000);
  });

  it('treats a review done with no queue time as queued when done (it never waited)', () => {
    expect(longestStall([{ queuedAt: null, doneAt: 5000 }, { queuedAt: null, doneAt: null }], 0, 10_000)).toBe(0);
  });
});

describe('longestConsumerStall', () => {
  const at = (t: number, delivered: number, pending: number, ackPending: number) => ({ t, delivered, pending, ackPending });

  it('is the longest time with messages waiting, room to take them, and no delivery', () => {
    const samples = [at(0, 10, 5, 1), at(1000, 10, 5, 1), at(2000, 10, 5, 1), at(3000, 12, 3, 1), at(4000, 13, 2, 1)];
    expect(longestConsumerStall(samples, 4, 0, 10_000)).toBe(3000);
  });

  it('does not count a consumer busy with all it can hold, nor one with nothing waiting', () => {
    const busy = [at(0, 10, 5, 4), at(5000, 10, 5, 4), at(9000, 10, 0, 0), at(15_000, 10, 0, 0)];
    expect(longestConsumerStall(busy, 4, 0, 20_000)).toBe(0);
  });

  it('does not count a silence (no leader), but adds the time without a delivery before and after it', () => {
    // Stalled 0–1000, silent 1000–6000, stalled again 6000–7000 until the delivery: 2000.
    const samples = [at(0, 10, 5, 1), { t: 1000 }, { t: 2000 }, at(6000, 10, 5, 1), at(7000, 11, 4, 1)];
    expect(longestConsumerStall(samples, 4, 0, 20_000)).toBe(2000);
    // Nothing waiting before the silence: the stall starts at the first answer after it.
    const after = [at(0, 10, 0, 0), { t: 1000 }, { t: 7000 }, at(8000, 10, 3, 0), at(14_000, 10, 3, 0), at(15_000, 13, 0, 0)];
    expect(longestConsumerStall(after, 4, 0, 20_000)).toBe(7000);
  });

  it('counts a stall still running at the last look', () => {
    expect(longestConsumerStall([at(0, 10, 0, 0), at(1000, 10, 2, 0), at(9000, 10, 2, 0)], 4, 0, 20_000)).toBe(8000);
  });

  it('clips to the window', () => {
    const samples = [at(0, 10, 5, 1), at(8000, 10, 5, 1), at(9000, 11, 5, 1)];
    expect(longestConsumerStall(samples, 4, 5000, 20_000)).toBe(4000);
  });
});

describe('longestSilence', () => {
  const a = (t: number) => ({ t, delivered: 1, pending: 0, ackPending: 0 });

  it('is the longest run of unanswered looks, up to the next answer', () => {
    expect(longestSilence([a(0), { t: 250 }, { t: 500 }, a(3000), { t: 3250 }, a(3500)])).toBe(2750);
    expect(longestSilence([a(0), a(250)])).toBe(0);
  });

  it('runs to the last look when no answer came, and clips to the window', () => {
    expect(longestSilence([a(0), { t: 1000 }, { t: 9000 }])).toBe(8000);
    expect(longestSilence([a(0), { t: 1000 }, a(9000)], 5000, 7000)).toBe(2000);
  });
});
