/**
 * Maps Redis' clock (µs, TIME in the scripts) to this process's clock
 * (performance.now() ms), NTP-style: each reply says Redis read `redisUs`
 * somewhere between the request's send and the reply's arrival, so the
 * offset local − redis lies in [sent − redis, received − redis]. The
 * intersection over recent replies is as narrow as the best recent round
 * trip, not this reply's: an event-loop stall that delays one reply no
 * longer makes its slots uncertain. Bounds widen with age at `driftPpm`
 * (clock-rate difference, NTP slewing up to 500 ppm), and a reply that
 * contradicts them (Redis' clock stepped, or a failover to another host)
 * starts afresh from that reply alone.
 */
export class ClockMap {
  private lo: { value: number; at: number } | undefined;
  private hi: { value: number; at: number } | undefined;

  constructor(private readonly driftPpm = 500) {}

  /** Feeds one reply: sent and received on the local clock, Redis' TIME in the script. */
  observe(sentMs: number, receivedMs: number, redisUs: number): void {
    const r = redisUs / 1000;
    const newLo = sentMs - r;
    const newHi = receivedMs - r;
    const lo = this.bound('lo', receivedMs);
    const hi = this.bound('hi', receivedMs);
    if (lo === undefined || hi === undefined || newLo > hi || newHi < lo) {
      this.lo = { value: newLo, at: receivedMs };
      this.hi = { value: newHi, at: receivedMs };
      return;
    }
    if (newLo >= lo) this.lo = { value: newLo, at: receivedMs };
    if (newHi <= hi) this.hi = { value: newHi, at: receivedMs };
  }

  /** The latest local time Redis' `redisUs` can correspond to: a slot used then is never early. */
  toLocal(redisUs: number, nowMs: number): number {
    const hi = this.bound('hi', nowMs);
    if (hi === undefined) throw new Error('clock map: no reply observed yet');
    return redisUs / 1000 + hi;
  }

  /** The earliest local time Redis' `redisUs` can correspond to. */
  toLocalEarliest(redisUs: number, nowMs: number): number {
    const lo = this.bound('lo', nowMs);
    if (lo === undefined) throw new Error('clock map: no reply observed yet');
    return redisUs / 1000 + lo;
  }

  get ready(): boolean {
    return this.hi !== undefined;
  }

  /** How much earlier than toLocal() the Redis time may really have been (ms). */
  uncertaintyMs(nowMs: number): number {
    const lo = this.bound('lo', nowMs);
    const hi = this.bound('hi', nowMs);
    return lo === undefined || hi === undefined ? Infinity : hi - lo;
  }

  private bound(which: 'lo' | 'hi', nowMs: number): number | undefined {
    const b = this[which];
    if (!b) return undefined;
    const widen = (Math.max(0, nowMs - b.at) * this.driftPpm) / 1e6;
    return which === 'lo' ? b.value - widen : b.value + widen;
  }
}
