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

/**
 * The longest interval within [from, to] during which a consumer had messages
 * waiting and room to take them (fewer held than `capacity`, the CONCURRENCY
 * of the process consuming it) and delivered nothing. A consumer whose
 * processes are busy with everything they can hold is working, not stalled;
 * one that did not answer counts as stalled until a later answer shows a
 * delivery or no waiting work — unless the answers on both sides of the
 * silence show nothing waiting and no delivery in between: then no message
 * was there to deliver during it (one published meanwhile would be waiting
 * or delivered by the later look), as for a consumer with no work whose
 * leader was on a lost node. Times in ms.
 */
export function longestConsumerStall(samples: readonly ConsumerSample[], capacity: number, from: number, to: number): number {
  let longest = 0;
  let stillSince: number | undefined;
  let last: Required<ConsumerSample> | undefined;
  /** A silence began after `last`, with no stall running before it. */
  let silentSince: number | undefined;
  const close = (t: number) => {
    if (stillSince === undefined) return;
    const end = Math.min(t, to);
    const start = Math.max(stillSince, from);
    if (end > start) longest = Math.max(longest, end - start);
  };
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    if (s.delivered === undefined || s.pending === undefined || s.ackPending === undefined) {
      if (stillSince === undefined) silentSince ??= s.t;
      stillSince ??= s.t;
      continue;
    }
    const progressed = last !== undefined && s.delivered > last.delivered;
    if (silentSince !== undefined && last !== undefined && last.pending === 0 && s.pending === 0 && !progressed) stillSince = undefined;
    silentSince = undefined;
    last = s as Required<ConsumerSample>;
    const idleWithWork = s.pending > 0 && s.ackPending < capacity;
    if (progressed || !idleWithWork) {
      close(s.t);
      stillSince = undefined;
    }
    if (idleWithWork) stillSince ??= s.t;
  }
  if (samples.length) close(Math.max(...samples.map((s) => s.t)));
  return longest;
}

/** The longest run of looks NATS did not answer (from the first unanswered look to the next answer), ms: a consumer without a leader. */
export function longestSilence(samples: readonly ConsumerSample[]): number {
  let longest = 0;
  let since: number | undefined;
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    if (s.delivered === undefined) since ??= s.t;
    else if (since !== undefined) {
      longest = Math.max(longest, s.t - since);
      since = undefined;
    }
  }
  return longest;
}
