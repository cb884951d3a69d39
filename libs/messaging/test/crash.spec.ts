import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createConsumerRunner, publish, type ConsumerRunner } from '../src/testing';
import { registry, resetQueues, silentLog, sleep, startEnv, waitFor, type Env } from './support';

jest.setTimeout(90_000);

describe('a worker process killed with SIGKILL', () => {
  let env: Env;
  let child: ChildProcess | undefined;
  let runner: ConsumerRunner | undefined;
  beforeAll(async () => {
    env = await startEnv();
    await resetQueues(env.jsm, { TRANSLATE: { ackWaitMs: 2000, maxDeliver: 3, backoffMs: [] } });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await runner?.stop();
    await env.teardown();
  });

  it('has the messages it held redelivered to another process, and loses none', async () => {
    const published: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await publish(env.js, 'TRANSLATE', { asin: 'B000CRASH1', kind: 'reviews', category: 'vip', reviewIds: [`c-${i}`] });
      published.push(r.seq);
    }

    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support/hold-forever.ts')], {
      env: { ...process.env, NATS_URL: env.stack.natsUrl, QUEUE: 'TRANSLATE', CONCURRENCY: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const held: number[] = [];
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/HELD (\d+)/g)) held.push(Number(m[1]));
    });
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(
      'the child to hold 3 messages',
      async () => {
        if (proc.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
        return held.length === 3 && (await env.jsm.consumers.info('TRANSLATE', 'translate')).num_ack_pending === 3;
      },
      30_000,
    );
    // Longer than ack_wait: heartbeats, not luck, keep the child's messages.
    await sleep(2500);
    expect((await env.jsm.consumers.info('TRANSLATE', 'translate')).num_redelivered).toBe(0);

    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;

    const got: { seq: number; delivery: number }[] = [];
    runner = createConsumerRunner({
      nc: env.nc,
      queue: 'TRANSLATE',
      concurrency: 10,
      log: silentLog,
      registry: registry(),
      handler: async (_job, ctx) => {
        got.push({ seq: ctx.seq, delivery: ctx.deliveryCount });
      },
    });
    await runner.start();
    await waitFor('all six messages', () => got.length >= 6, 30_000);
    await sleep(500); // anything delivered twice would show up here

    expect(got.map((g) => g.seq).sort((a, b) => a - b)).toEqual(published);
    const redelivered = got.filter((g) => g.delivery === 2).map((g) => g.seq).sort((a, b) => a - b);
    expect(redelivered).toEqual([...held].sort((a, b) => a - b));
    expect(got.filter((g) => g.delivery === 1)).toHaveLength(3);
    await waitFor('an empty stream', async () => (await env.jsm.streams.info('TRANSLATE')).state.messages === 0);
  });
});
