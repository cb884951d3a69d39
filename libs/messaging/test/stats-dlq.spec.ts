import {
  PermanentError,
  QUEUE_NAMES,
  createConsumerRunner,
  listDeadLetters,
  publish,
  queueStats,
  requeueDeadLetter,
} from '../src/testing';
import { dlqCount, gate, registry, reportJob, resetQueues, silentLog, sleep, streamMessages, useQueues, waitFor } from './support';

jest.setTimeout(90_000);

describe('queue stats and DLQ operations', () => {
  const { env, runners } = useQueues();

  it('reports pending, in-flight and dead-lettered counts per queue', async () => {
    await publish(env.js, 'REPORT', reportJob('stats-bad'));
    for (let i = 0; i < 5; i++) await publish(env.js, 'REPORT', reportJob(`stats-${i}`));
    await publish(env.js, 'INGEST', { uploadId: 'u1', asin: 'B000STATS1', reviews: [] });
    const release = gate();
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'REPORT',
      concurrency: 2,
      log: silentLog,
      registry: registry(),
      handler: async (job) => {
        if (job.reportId === 'r-stats-bad') throw new PermanentError('bad report');
        await release.promise;
      },
    });
    runners.push(runner);
    await runner.start();
    await waitFor('1 dead letter and 2 held', async () => (await dlqCount(env.jsm, 'REPORT')) === 1 && runner.inFlight() === 2);

    const stats = await queueStats(env.jsm);
    expect(Object.keys(stats)).toEqual([...QUEUE_NAMES]);
    expect(stats.REPORT).toMatchObject({
      stream: 'REPORT',
      subject: 'voc.report',
      exists: true,
      messages: 5,
      pending: 3,
      inFlight: 2,
      stranded: 0,
      dlq: 1,
    });
    expect(stats.REPORT.consumers).toEqual([
      expect.objectContaining({ name: 'report', numPending: 3, numAckPending: 2, numRedelivered: 0 }),
    ]);
    expect(stats.INGEST).toMatchObject({ messages: 1, pending: 1, inFlight: 0, dlq: 0 });
    expect(stats.THEME).toMatchObject({ messages: 0, pending: 0, inFlight: 0, dlq: 0, exists: true });

    release.open();
    await waitFor('the rest', () => runner.stats.succeeded === 5);
    await waitFor('empty REPORT', async () => (await queueStats(env.jsm)).REPORT.messages === 0);
    const after = await queueStats(env.jsm);
    expect(after.REPORT).toMatchObject({ pending: 0, inFlight: 0, dlq: 1 });
  });

  it('counts a message that ran out of deliveries unseen as stranded', async () => {
    await resetQueues(env.jsm, { THEME: { ackWaitMs: 1000, maxDeliver: 1, backoffMs: [] } });
    await publish(env.js, 'THEME', { asin: 'B000STRAND', reviewIds: ['x'], learningVersion: 1 });
    const raw = await env.js.consumers.get('THEME', 'theme');
    expect((await raw.next({ expires: 2000 }))?.info.deliveryCount).toBe(1);
    // No ack, no runner watching: after ack_wait the server gives up on it.
    expect(await raw.next({ expires: 2500 })).toBeNull();
    const stats = await queueStats(env.jsm);
    expect(stats.THEME).toMatchObject({ messages: 1, pending: 0, inFlight: 0, stranded: 1, dlq: 0 });
  });

  it('lists dead letters and requeues one to its queue under a new msgId', async () => {
    let failing = true;
    const handled: string[] = [];
    const runner = createConsumerRunner({
      nc: env.nc,
      queue: 'REPORT',
      concurrency: 2,
      log: silentLog,
      registry: registry(),
      handler: async (job) => {
        if (failing) throw new PermanentError(`cannot build ${job.reportId} yet`);
        handled.push(job.reportId);
      },
    });
    runners.push(runner);
    const a = await publish(env.js, 'REPORT', reportJob('dl-a'), { msgId: 'dl-a' });
    await publish(env.js, 'REPORT', reportJob('dl-b'), { msgId: 'dl-b' });
    await runner.start();
    await waitFor('two dead letters', async () => (await dlqCount(env.jsm, 'REPORT')) === 2);

    const all = await listDeadLetters(env.jsm, 'REPORT');
    expect(all.map((d) => d.job)).toEqual(expect.arrayContaining([reportJob('dl-a'), reportJob('dl-b')]));
    const entryA = all.find((d) => d.originSeq === a.seq)!;
    expect(entryA).toMatchObject({ reason: 'permanent', error: 'cannot build r-dl-a yet', originMsgId: 'dl-a', deliveries: 1 });
    expect(await listDeadLetters(env.jsm, 'REPORT', 1)).toHaveLength(1);
    expect(await listDeadLetters(env.jsm, 'REPORT', 10, Math.max(...all.map((d) => d.seq)) + 1)).toEqual([]);
    expect(await listDeadLetters(env.jsm, 'INSIGHT')).toEqual([]);

    failing = false;
    const r = await requeueDeadLetter(env.js, env.jsm, entryA.seq);
    expect(r).toMatchObject({ queue: 'REPORT', duplicate: false, msgId: `requeue:DLQ:${entryA.seq}` });
    await waitFor('the requeued job', () => handled.length === 1);
    expect(handled).toEqual(['r-dl-a']);
    expect(await dlqCount(env.jsm, 'REPORT')).toBe(1);
    await expect(requeueDeadLetter(env.js, env.jsm, entryA.seq)).rejects.toThrow(`no dead letter with DLQ seq ${entryA.seq}`);
    await sleep(200);
    await waitFor('empty REPORT', async () => (await streamMessages(env.jsm, 'REPORT')) === 0);
  });
});
