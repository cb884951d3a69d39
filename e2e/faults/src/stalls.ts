/**
 * How long a stage stood still while it had work, from the times PostgreSQL
 * recorded: when each review was queued for the stage and when the stage
 * finished it. A consumer that lost its NATS server and waits out its pull
 * shows as a gap in completions while reviews are waiting.
 */

export interface StageEvent {
  /** When the review was (last) queued for the stage; null when not recorded (treated as queued when done). */
  queuedAt: number | null;
  /** When the stage finished it; null when it did not. */
  doneAt: number | null;
}

/**
 * The longest interval within [from, to] during which at least one review
 * was queued and not done, and no review was done. Times in ms.
 */
export function longestStall(events: readonly StageEvent[], from: number, to: number): number {
  type Edge = { t: number; delta: 1 | -1 };
  const edges: Edge[] = [];
  for (const e of events) {
    const queued = e.queuedAt ?? e.doneAt;
    if (queued === null) continue;
    edges.push({ t: queued, delta: 1 });
    if (e.doneAt !== null) edges.push({ t: Math.max(queued, e.doneAt), delta: -1 });
  }
  // At equal times, completions first: a review queued and done at once never waits.
  edges.sort((a, b) => a.t - b.t || a.delta - b.delta);
  let waiting = 0;
  // Since when the stage has had work and completed nothing (undefined: no work waiting).
  let stillSince: number | undefined;
  let longest = 0;
  const close = (t: number) => {
    if (stillSince === undefined) return;
    const start = Math.max(stillSince, from);
    const end = Math.min(t, to);
    if (end > start) longest = Math.max(longest, end - start);
  };
  for (const e of edges) {
    if (e.delta === -1) {
      close(e.t);
      waiting--;
      stillSince = waiting > 0 ? e.t : undefined;
    } else {
      waiting++;
      stillSince ??= e.t;
    }
  }
  if (waiting > 0) close(to);
  return longest;
}

/**
 * One look at a consumer: how many messages it has delivered so far (its
 * consumer sequence), how many wait, how many are held. The counts are
 * undefined when NATS did not answer in time (a lost node, a leader election).
 */
export interface ConsumerSample {
  t: number;
  delivered?: number;
  pending?: number;
  ackPending?: number;
}

/** Length of [a, b] within [from, to]. */
const within = (a: number, b: number, from: number, to: number) => Math.max(0, Math.min(b, to) - Math.max(a, from));

const answered = (s: ConsumerSample): s is Required<ConsumerSample> =>
  s.delivered !== undefined && s.pending !== undefined && s.ackPending !== undefined;

/**
 * The longest time within [from, to] during which a consumer had messages
 * waiting and room to take them (fewer held than `capacity`, the CONCURRENCY
 * of the process consuming it) and delivered nothing, counting only the time
 * it answered. A consumer whose processes are busy with everything they can
 * hold is working, not stalled. A silence (looks NATS did not answer: the
 * consumer has no leader, e.g. while nats-server re-elects one after a node
 * loss, which no client can shorten) adds nothing but does not end a stall:
 * the time without a delivery before and after it adds up. The silences are
 * measured on their own (longestSilence). Times in ms.
 */
export function longestConsumerStall(samples: readonly ConsumerSample[], capacity: number, from: number, to: number): number {
  let longest = 0;
  /** The stall running (answered time so far), or undefined. */
  let stalled: number | undefined;
  let prev: ConsumerSample | undefined;
  let lastDelivered: number | undefined;
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    if (stalled !== undefined && prev && answered(prev)) stalled += within(prev.t, s.t, from, to);
    prev = s;
    if (!answered(s)) continue;
    const progressed = lastDelivered !== undefined && s.delivered > lastDelivered;
    lastDelivered = s.delivered;
    const idleWithWork = s.pending > 0 && s.ackPending < capacity;
    if (progressed || !idleWithWork) {
      longest = Math.max(longest, stalled ?? 0);
      stalled = undefined;
    }
    if (idleWithWork) stalled ??= 0;
  }
  return Math.max(longest, stalled ?? 0);
}

/**
 * The longest silence within [from, to]: from a look NATS did not answer to
 * the next answered one (or the last look), ms. A consumer without a leader.
 */
export function longestSilence(samples: readonly ConsumerSample[], from = -Infinity, to = Infinity): number {
  let longest = 0;
  let since: number | undefined;
  let lastT: number | undefined;
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    lastT = s.t;
    if (!answered(s)) since ??= s.t;
    else if (since !== undefined) {
      longest = Math.max(longest, within(since, s.t, from, to));
      since = undefined;
    }
  }
  if (since !== undefined && lastT !== undefined) longest = Math.max(longest, within(since, lastT, from, to));
  return longest;
}
