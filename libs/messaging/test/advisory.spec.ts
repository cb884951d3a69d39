import {
  createConsumerRunner,
  deadLetterStoredMessage,
  listDeadLetters,
  publish,
} from '../src/testing';
import { dlqCount, registry, reportJob, silentLog, sleep, streamMessages, useQueues, waitFor } from './support';

jest.setTimeout(90_000);

describe('dead-lettering messages whose deliveries ran out (MAX_DELIVERIES advisory)', () => {
  const { env, runners } = useQueues({ REPORT: { ackWaitMs: 1000, maxDeliver: 2, backoffMs: [] } });

  it('moves a message a crashed worker held on its last delivery to the DLQ, once, though every runner sees the advisory', async () => {
    const pub = await publish(env.js, 'REPORT', reportJob('orphan'));
    // A "worker" that takes the message twice and dies each time without an answer.
    const raw = await env.js.consumers.get('REPORT', 'report');
    const d1 = await raw.next({ expires: 2000 });
    expect(d1?.info.deliveryCount).toBe(1);
    const d2 = await raw.next({ expires: 5000 });
    expect(d2?.info.deliveryCount).toBe(2);

    const handled: string[] = [];
    for (const name of ['a', 'b']) {
      const r = createConsumerRunner({
        nc: await env.connect(`runner-${name}`),
        queue: 'REPORT',
        concurrency: 2,
        log: silentLog,
        registry: registry(),
        handler: async (job) => {
          handled.push(job.reportId);
        },
      });
      runners.push(r);
      await r.start();
    }
    // Once ack_wait passes, the server finds the deliveries spent, keeps the
    // message in the work stream, and only says so in the advisory.
    await waitFor('the dead letter', async () => (await dlqCount(env.jsm, 'REPORT')) === 1 && (await streamMessages(env.jsm, 'REPORT')) === 0);
    await sleep(500);
    expect(await dlqCount(env.jsm, 'REPORT')).toBe(1);
    expect(handled).toEqual([]);
    expect(runners.reduce((n, r) => n + r.stats.advisoryMoves, 0)).toBe(1);
    const [dead] = await listDeadLetters(env.jsm, 'REPORT');
    expect(dead).toMatchObject({
      queue: 'REPORT',
      originStream: 'REPORT',
      originSubject: 'voc.report',
      originSeq: pub.seq,
      originMsgId: pub.msgId,
      deliveries: 2,
      reason: 'max-deliveries',
      job: reportJob('orphan'),
    });
  });

  it('moves a stored message once when several processes try at the same time', async () => {
    const pub = await publish(env.js, 'REPORT', reportJob('contended'));
    const conns = await Promise.all([1, 2, 3].map((i) => env.connect(`mover-${i}`)));
    const results = await Promise.all(
      conns.map(async (nc) =>
        deadLetterStoredMessage(await nc.jetstreamManager(), nc.jetstream(), 'REPORT', pub.seq, {
          deliveries: 2,
          reason: 'max-deliveries',
          error: 'test',
        }),
      ),
    );
    expect(results.filter((r) => r === 'moved')).toHaveLength(1);
    expect(results.every((r) => ['moved', 'duplicate', 'gone'].includes(r))).toBe(true);
    expect(await dlqCount(env.jsm, 'REPORT')).toBe(1);
    expect(await streamMessages(env.jsm, 'REPORT')).toBe(0);
    // And once more, long after: nothing left to move.
    expect(
      await deadLetterStoredMessage(env.jsm, env.js, 'REPORT', pub.seq, { deliveries: 2, reason: 'max-deliveries', error: 'test' }),
    ).toBe('gone');
  });
});
