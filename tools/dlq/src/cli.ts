/**
 * The commands of `npm run dlq`, over @voc/messaging's dead-letter tools.
 * Pure of process concerns (argv in, lines out, an exit code), so tests run
 * it in-process against a real NATS.
 */
import type { JetStreamClient, JetStreamManager } from 'nats';
import {
  DeadLetterNotFoundError,
  dropDeadLetter,
  getDeadLetter,
  listDeadLetters,
  QUEUES,
  requeueAllDeadLetters,
  requeueDeadLetter,
  type DeadLetterEntry,
  type QueueName,
} from '@voc/messaging';

export const USAGE = `usage: npm run dlq -- <command>

  list [queue] [--limit N] [--from SEQ] [--json]   dead letters, oldest first (all queues, or one)
  show <seq> [--json]                              one dead letter: where it came from, why, its body
  requeue <seq>                                    put it back on its queue (fresh delivery budget), remove it here
  requeue --all [queue]                            the same for every dead letter (of one queue)
  drop <seq>                                       delete it for good

queues: ${Object.keys(QUEUES).join(', ')} (any case). Connects with NATS_URL, NATS_USER, NATS_PASSWORD.`;

export type Command =
  | { kind: 'list'; queue?: QueueName; limit: number; from: number; json: boolean }
  | { kind: 'show'; seq: number; json: boolean }
  | { kind: 'requeue'; seq: number }
  | { kind: 'requeue-all'; queue?: QueueName }
  | { kind: 'drop'; seq: number };

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a === '--json' || a === '--all'));
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--json' || a === '--all') continue;
    if (a === '--limit' || a === '--from') {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      options[a] = v;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const seqArg = () => {
    if (positional.length !== 1) throw new UsageError(`${cmd} needs one DLQ sequence number`);
    return positiveInt(positional[0]!, 'seq');
  };
  const queueArg = () => {
    if (positional.length > 1) throw new UsageError(`${cmd}: one queue at most`);
    return positional[0] === undefined ? undefined : queueName(positional[0]);
  };
  switch (cmd) {
    case 'list':
      return {
        kind: 'list',
        ...(positional[0] !== undefined ? { queue: queueArg() } : {}),
        limit: options['--limit'] ? positiveInt(options['--limit'], '--limit') : 50,
        from: options['--from'] ? positiveInt(options['--from'], '--from') : 1,
        json: flags.has('--json'),
      };
    case 'show':
      return { kind: 'show', seq: seqArg(), json: flags.has('--json') };
    case 'requeue':
      if (flags.has('--all')) {
        const queue = queueArg();
        return { kind: 'requeue-all', ...(queue ? { queue } : {}) };
      }
      return { kind: 'requeue', seq: seqArg() };
    case 'drop':
      return { kind: 'drop', seq: seqArg() };
    case undefined:
      throw new UsageError('no command');
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

function positiveInt(s: string, what: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`${what} must be a positive whole number, got '${s}'`);
  return Number(s);
}

function queueName(s: string): QueueName {
  const q = s.toUpperCase();
  if (!(q in QUEUES)) throw new UsageError(`unknown queue '${s}' (one of ${Object.keys(QUEUES).join(', ')})`);
  return q as QueueName;
}

export interface DlqDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Runs one command; returns the exit code (0 done, 1 failed). */
export async function run(command: Command, deps: DlqDeps, out: (line: string) => void): Promise<number> {
  try {
    switch (command.kind) {
      case 'list': {
        const entries = await listDeadLetters(deps.jsm, command.queue, command.limit, command.from);
        if (command.json) out(JSON.stringify(entries.map(summaryOf), null, 2));
        else out(renderList(entries, command));
        return 0;
      }
      case 'show': {
        const e = await getDeadLetter(deps.jsm, command.seq);
        out(command.json ? JSON.stringify(e, null, 2) : renderEntry(e));
        return 0;
      }
      case 'requeue': {
        const r = await requeueDeadLetter(deps.js, deps.jsm, command.seq);
        out(`requeued DLQ ${r.dlqSeq} to ${r.queue} as seq ${r.seq}${r.duplicate ? ' (already requeued before: not stored twice)' : ''}`);
        return 0;
      }
      case 'requeue-all': {
        const done = await requeueAllDeadLetters(deps.js, deps.jsm, command.queue);
        for (const r of done) out(`requeued DLQ ${r.dlqSeq} to ${r.queue} as seq ${r.seq}`);
        out(`${done.length} dead letter(s) requeued${command.queue ? ` for ${command.queue}` : ''}`);
        return 0;
      }
      case 'drop': {
        const e = await dropDeadLetter(deps.jsm, command.seq);
        out(`dropped DLQ ${e.seq} (${e.queue ?? '?'}, ${e.reason}: ${e.error})`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof DeadLetterNotFoundError) {
      out(`error: ${err.message} (listed with: npm run dlq -- list)`);
      return 1;
    }
    throw err;
  }
}

function summaryOf(e: DeadLetterEntry) {
  return {
    seq: e.seq,
    queue: e.queue,
    reason: e.reason,
    error: e.error,
    deliveries: e.deliveries,
    failedAt: e.failedAt,
    originSeq: e.originSeq,
    originMsgId: e.originMsgId,
    job: e.job,
  };
}

function renderList(entries: DeadLetterEntry[], c: { queue?: QueueName; limit: number }): string {
  if (entries.length === 0) return `no dead letters${c.queue ? ` for ${c.queue}` : ''}`;
  const rows = entries.map((e) => [String(e.seq), e.queue ?? '?', e.reason, String(e.deliveries), e.failedAt.slice(0, 19), jobSummary(e), oneLine(e.error, 70)]);
  const head = ['seq', 'queue', 'reason', 'deliv', 'failed at', 'job', 'error'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((x, i) => (i === cells.length - 1 ? x : x.padEnd(widths[i]!))).join('  ');
  const byReason = new Map<string, number>();
  for (const e of entries) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
  const more = entries.length === c.limit ? `; more after: --from ${entries[entries.length - 1]!.seq + 1}` : '';
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${entries.length} shown (${[...byReason].map(([r, n]) => `${n} ${r}`).join(', ')})${more}`,
  ].join('\n');
}

function renderEntry(e: DeadLetterEntry): string {
  return [
    `DLQ seq      ${e.seq} (${e.subject})`,
    `queue        ${e.queue ?? '?'}`,
    `reason       ${e.reason}`,
    `error        ${e.error}`,
    `deliveries   ${e.deliveries}`,
    `failed at    ${e.failedAt}`,
    `origin       ${e.originStream} seq ${e.originSeq} on ${e.originSubject}${e.originMsgId ? `, msgId ${e.originMsgId}` : ''}`,
    `body`,
    e.job === undefined ? e.body : JSON.stringify(e.job, null, 2),
    '',
    `requeue: npm run dlq -- requeue ${e.seq}    drop: npm run dlq -- drop ${e.seq}`,
  ].join('\n');
}

/** What the job is about, in a few words: product and ids. */
function jobSummary(e: DeadLetterEntry): string {
  const j = e.job as Record<string, unknown> | undefined;
  if (!j || typeof j !== 'object') return '(not JSON)';
  const parts = [j.asin, j.uploadId ?? j.jobId ?? j.reportId, Array.isArray(j.reviewIds) ? `${j.reviewIds.length} review(s)` : undefined, Array.isArray(j.reviews) ? `${j.reviews.length} review(s)` : undefined];
  return parts.filter((p) => p !== undefined && p !== null).join(' ');
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
