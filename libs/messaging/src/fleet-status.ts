/**
 * The fleet's view of its runners: every process answers a status request on
 * `voc.runners.status` with what each of its runners is doing (running, or
 * waiting for which dependency since when), and `collectRunnerStatus` gathers
 * the answers for a short while. A request, not a periodic broadcast: the
 * reader sees the state of now, and an idle fleet sends nothing.
 */
import { RequestStrategy, type NatsConnection, type Subscription } from 'nats';
import type { MessagingLogger } from './connection';
import { errorMessage } from './errors';
import type { RunnerStatus } from './runner';

export const RUNNER_STATUS_SUBJECT = 'voc.runners.status';

/** Answers status requests with `statuses()` (every runner of this process); returns the subscription. */
export function serveRunnerStatus(nc: NatsConnection, statuses: () => RunnerStatus[], log: MessagingLogger): Subscription {
  return nc.subscribe(RUNNER_STATUS_SUBJECT, {
    callback: (err, msg) => {
      if (err) {
        log.warn({ err: errorMessage(err) }, 'runner status subscription failed');
        return;
      }
      try {
        msg.respond(JSON.stringify(statuses()));
      } catch (e) {
        log.warn({ err: errorMessage(e) }, 'could not answer a runner status request');
      }
    },
  });
}

/** Every runner of the fleet that answers within `waitMs` (default 500 ms). */
export async function collectRunnerStatus(nc: NatsConnection, waitMs = 500): Promise<RunnerStatus[]> {
  const out: RunnerStatus[] = [];
  let replies: AsyncIterable<{ json<T>(): T }>;
  try {
    replies = await nc.requestMany(RUNNER_STATUS_SUBJECT, '', { strategy: RequestStrategy.Timer, maxWait: waitMs });
  } catch {
    return out; // no responders: nobody runs a consumer
  }
  try {
    for await (const m of replies) {
      try {
        out.push(...m.json<RunnerStatus[]>());
      } catch {
        // an unreadable answer: skip that process
      }
    }
  } catch {
    // "no responders" surfaces here on some servers: nothing to add
  }
  return out.sort((a, b) => a.queue.localeCompare(b.queue) || a.service.localeCompare(b.service) || a.node.localeCompare(b.node) || a.pid - b.pid);
}
