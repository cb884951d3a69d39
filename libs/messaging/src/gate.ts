/**
 * The dependency gate of one process: when a handler fails because a
 * dependency (PostgreSQL, Redis, NATS, the LLM provider) is away, that is
 * not the message's fault. The gate closes, the runners stop pulling and
 * keep the messages they hold (heartbeats, no nak: no delivery is spent),
 * the dependency is probed with growing intervals, and once it answers the
 * gate opens and the held handlers run again. An outage of any length costs
 * a message nothing, as long as its process lives (a process that dies
 * while holding gives the message back after ack_wait: one delivery).
 *
 * What counts as an outage is the caller's `classify` (the pipeline knows its
 * dependencies' errors); everything it does not claim is the message's own
 * failure and goes the runner's retry/DLQ way.
 */
import type { MessagingLogger } from './connection';
import { errorMessage } from './errors';

/** A probe resolves when the dependency answers; the signal aborts it at its timeout. */
export type DependencyProbe = (signal: AbortSignal) => Promise<unknown>;

export interface DependencyGateOptions {
  /** The dependency whose outage `err` shows (e.g. 'postgres'), or undefined: the message's own failure. */
  classify: (err: unknown) => string | undefined;
  /**
   * Per dependency, how to tell it is back. Without a probe, a dependency
   * counts as back after its wait, and the held handlers' retries are the probe.
   */
  probes?: Record<string, DependencyProbe>;
  log: MessagingLogger;
  /** Wait before the first probe, doubled after each failed one up to max. Default 500 ms → 15 s. */
  probeIntervalMs?: { min: number; max: number };
  /** A probe that has not answered by then failed. Default 10 s. */
  probeTimeoutMs?: number;
}

export interface Outage {
  dependency: string;
  /** When the dependency was first seen down (ms since epoch). */
  since: number;
  /** The latest error that showed it (one line). */
  error: string;
  /** Probes that failed during this outage; 0 means it was back at the first look. */
  failedProbes: number;
  /** Set when it came back. */
  endedAt?: number;
}

export interface GateState {
  open: boolean;
  /** The dependencies down right now. */
  outages: Outage[];
}

export interface DependencyGate {
  classify(err: unknown): string | undefined;
  /** Marks `dependency` down (an ongoing outage only takes the newer error) and probes it; returns the outage. */
  report(dependency: string, err: unknown): Outage;
  /** Marks `dependency` back (e.g. on a reconnect event). */
  recovered(dependency: string): void;
  /** A handler succeeded: dependencies without a probe start their next wait short again. */
  noteSuccess(): void;
  isOpen(): boolean;
  /** Resolves when nothing is down, or when `signal` aborts. */
  whenOpen(signal?: AbortSignal): Promise<void>;
  /**
   * Runs `fn`; when it fails with an outage, reports it, waits for the
   * dependency and runs `fn` again (e.g. a write whose results must not be
   * thrown away). The message's own errors, and an abort, are thrown.
   */
  retry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  state(): GateState;
  /** Called after every change of state; returns an unsubscribe function. */
  onChange(listener: (state: GateState) => void): () => void;
  /** Stops probing; waiters are released (nothing is down any more, as far as anyone will learn). */
  close(): void;
}

interface Tracked {
  outage: Outage;
  timer?: NodeJS.Timeout;
  probing?: AbortController;
}

export function createDependencyGate(o: DependencyGateOptions): DependencyGate {
  const min = o.probeIntervalMs?.min ?? 500;
  const max = o.probeIntervalMs?.max ?? 15_000;
  const probeTimeoutMs = o.probeTimeoutMs ?? 10_000;
  const down = new Map<string, Tracked>();
  /** Outages in a row per probe-less dependency, for its growing wait. */
  const streak = new Map<string, number>();
  let waiters: (() => void)[] = [];
  const listeners = new Set<(s: GateState) => void>();
  let closed = false;

  const state = (): GateState => ({ open: down.size === 0, outages: [...down.values()].map((t) => ({ ...t.outage })) });
  const changed = () => {
    const s = state();
    for (const l of listeners) l(s);
    if (s.open) {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    }
  };

  const up = (dependency: string, how: string) => {
    const t = down.get(dependency);
    if (!t) return;
    clearTimeout(t.timer);
    t.probing?.abort();
    t.outage.endedAt = Date.now();
    down.delete(dependency);
    o.log.info(
      { dependency, downMs: t.outage.endedAt - t.outage.since, failedProbes: t.outage.failedProbes, how },
      'dependency back: resuming work',
    );
    changed();
  };

  const schedule = (dependency: string, t: Tracked) => {
    const probe = o.probes?.[dependency];
    const n = probe ? t.outage.failedProbes : (streak.get(dependency) ?? 0);
    const wait = Math.min(max, min * 2 ** n);
    t.timer = setTimeout(() => {
      if (closed || down.get(dependency) !== t) return;
      if (!probe) return up(dependency, 'waited; held work retries');
      const ctl = new AbortController();
      t.probing = ctl;
      const deadline = setTimeout(() => ctl.abort(new Error(`no answer within ${probeTimeoutMs} ms`)), probeTimeoutMs);
      const timedOut = new Promise<never>((_, reject) => ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true }));
      Promise.race([probe(ctl.signal), timedOut])
        .then(() => up(dependency, 'probe answered'))
        .catch((err: unknown) => {
          if (closed || down.get(dependency) !== t) return;
          t.outage.failedProbes++;
          t.outage.error = oneLine(err);
          o.log.debug({ dependency, failedProbes: t.outage.failedProbes, err: t.outage.error }, 'dependency probe failed');
          schedule(dependency, t);
        })
        .finally(() => clearTimeout(deadline));
    }, wait);
    t.timer.unref?.();
  };

  const gate: DependencyGate = {
    classify: (err) => o.classify(err),

    report(dependency, err) {
      const existing = down.get(dependency);
      if (existing) {
        existing.outage.error = oneLine(err);
        return existing.outage;
      }
      const t: Tracked = { outage: { dependency, since: Date.now(), error: oneLine(err), failedProbes: 0 } };
      if (closed) return t.outage;
      down.set(dependency, t);
      if (!o.probes?.[dependency]) streak.set(dependency, (streak.get(dependency) ?? 0) + 1);
      o.log.warn({ dependency, err: t.outage.error }, 'dependency unavailable: holding work until it is back');
      schedule(dependency, t);
      changed();
      return t.outage;
    },

    recovered: (dependency) => up(dependency, 'reported back'),

    noteSuccess() {
      if (streak.size) streak.clear();
    },

    isOpen: () => down.size === 0,

    whenOpen(signal) {
      if (down.size === 0 || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        waiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },

    async retry(fn, signal) {
      for (;;) {
        try {
          return await fn();
        } catch (err) {
          const dependency = o.classify(err);
          if (!dependency || closed || signal?.aborted) throw err;
          gate.report(dependency, err);
          await gate.whenOpen(signal);
          if (signal?.aborted) throw err;
        }
      }
    },

    state,

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    close() {
      closed = true;
      for (const t of down.values()) {
        clearTimeout(t.timer);
        t.probing?.abort();
      }
      down.clear();
      changed();
    },
  };
  return gate;
}

function oneLine(err: unknown): string {
  const s = errorMessage(err).replace(/\s+/g, ' ').trim();
  return s.length > 300 ? `${s.slice(0, 299)}…` : s;
}
