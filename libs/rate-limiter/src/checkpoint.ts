import { promiseHooks } from 'node:v8';

/**
 * Dispatch checkpoints (issue 12 item 4): due slots are handed out at the
 * end of whatever callback the event loop is running, not only when it
 * reaches its timers phase.
 *
 * Under the pipeline a service's loop spends 20–300 ms at a time in its poll
 * phase, running I/O callbacks one after another (Prisma's results, LLM
 * answers, NATS messages, Redis replies) and the promise chains each starts;
 * the dispatch timer waits behind all of them, and a slot that falls due
 * meanwhile is reached after the margin and dropped: 7–14 % of each
 * service's slots in bench:pipeline, budget no other process can use.
 *
 * A V8 promise hook (one per process, installed while a limiter that wants
 * it is open) notices a due slot before any promise continuation: a clock
 * read and a comparison. It does not grant there, in the middle of a drain
 * of the microtask queue: the caller's send would wait for the rest of that
 * drain (Node writes a request to its socket from process.nextTick, which
 * runs only once the microtask queue is empty), so the request would leave
 * later than the grant says and the margin would not hold at the receiver.
 * It schedules the dispatch with process.nextTick instead: right after the
 * current callback's drain, before the next I/O callback; the caller's send
 * then follows in the next drain, and the lateness the dispatch checks
 * against the margin is the real one. A single long callback or drain, or
 * a GC pause, still delays a slot: that part stays with extensions and the
 * margin.
 */

/** What a checkpoint needs of a limiter. */
export interface DueSlots {
  /** Local time (performance.now()) its next held slot falls due; Infinity when it holds none. */
  readonly dueAt: number;
  /** Hands out every slot due now, as its dispatch timer would; nothing if none is. */
  dispatchDue(): void;
}

const watched = new Set<DueSlots>();
let unhook: (() => void) | undefined;
let scheduled = false;

function dispatchDue(): void {
  scheduled = false;
  // Each limiter checks for itself whether a slot is (still) due.
  for (const l of watched) l.dispatchDue();
}

function checkpoint(): void {
  if (scheduled) return;
  const t = performance.now();
  for (const l of watched) {
    if (l.dueAt > t) continue;
    scheduled = true;
    process.nextTick(dispatchDue);
    return;
  }
}

/** Checks `l` for due slots before every promise continuation of this process, until unwatchDue(l). */
export function watchDue(l: DueSlots): void {
  watched.add(l);
  unhook ??= promiseHooks.onBefore(checkpoint) as () => void;
}

export function unwatchDue(l: DueSlots): void {
  watched.delete(l);
  if (watched.size > 0 || !unhook) return;
  unhook();
  unhook = undefined;
}

/** Limiters this process checks (tests). */
export function watchedCount(): number {
  return watched.size;
}
