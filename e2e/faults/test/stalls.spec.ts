import { longestStall } from '../src/stalls';

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
