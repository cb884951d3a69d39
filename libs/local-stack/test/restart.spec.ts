import { Client } from 'pg';
import { connect } from 'nats';
import Redis from 'ioredis';
import { descendantsOf, startTestStack, type TestStack } from '../src';

/** What the fault-injection suite does to the servers: restart, crash, hang, lose one cluster node. */
describe('servers that stop, restart and hang', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({}, { redisAppendOnly: true });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('restarts Redis after a SIGKILL with the data of its append-only file, on the same URL', async () => {
    const before = new Redis(stack.redisUrl, { maxRetriesPerRequest: 0 });
    await before.set('fault-test', 'kept');
    // appendfsync everysec: give the file its second.
    await new Promise((r) => setTimeout(r, 1500));
    before.disconnect();
    const pid = stack.redis!.proc.pid;
    await stack.redis!.restart('SIGKILL');
    expect(stack.redis!.proc.pid).not.toBe(pid);
    const after = new Redis(stack.redisUrl);
    expect(await after.get('fault-test')).toBe('kept');
    await after.quit();
  }, 30_000);

  it('pauses PostgreSQL (connections accepted, nothing answered) and resumes it', async () => {
    const pg = stack.postgres!;
    const held = new Client({ connectionString: stack.databaseUrl });
    await held.connect();
    expect(descendantsOf(pg.proc.pid).length).toBeGreaterThan(0);
    pg.pause();
    try {
      expect(pg.paused).toBe(true);
      const answered = await Promise.race([
        held.query('SELECT 1').then(() => 'answered'),
        new Promise((r) => setTimeout(() => r('silent'), 1500)),
      ]);
      expect(answered).toBe('silent');
    } finally {
      pg.resume();
    }
    // The query sent while it was stopped completes once it runs again.
    const r = await held.query('SELECT 2 AS n');
    expect(r.rows[0].n).toBe(2);
    await held.end();
  }, 30_000);

  it('stops PostgreSQL (connections refused) and starts it again with its data', async () => {
    const pg = stack.postgres!;
    const c = new Client({ connectionString: stack.databaseUrl });
    await c.connect();
    await c.query('CREATE TABLE IF NOT EXISTS fault_test (v int); INSERT INTO fault_test VALUES (7)');
    await c.end();
    await pg.stop();
    expect(pg.running).toBe(false);
    const refused = new Client({ connectionString: stack.databaseUrl });
    await expect(refused.connect()).rejects.toThrow(/ECONNREFUSED/);
    await pg.start();
    const again = new Client({ connectionString: stack.databaseUrl });
    await again.connect();
    const r = await again.query('SELECT v FROM fault_test');
    await again.end();
    expect(r.rows).toEqual([{ v: 7 }]);
  }, 60_000);

  it('restarts NATS on the same port with its JetStream data', async () => {
    const nats = stack.nats[0]!;
    const nc = await connect({ servers: stack.natsUrl });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'FAULTTEST', subjects: ['fault.test'] });
    await nc.jetstream().publish('fault.test', new TextEncoder().encode('x'));
    await nc.close();
    await nats.restart();
    const again = await connect({ servers: stack.natsUrl });
    const info = await (await again.jetstreamManager()).streams.info('FAULTTEST');
    await again.close();
    expect(info.state.messages).toBe(1);
  }, 30_000);
});

describe('a three-node NATS cluster on loopback', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ redis: false, postgres: false }, { natsNodes: 3 });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps an R3 stream writable when one node is killed, and takes the node back', async () => {
    expect(stack.nats).toHaveLength(3);
    expect(stack.natsUrl.split(',')).toHaveLength(3);
    const nc = await connect({ servers: stack.natsUrl.split(',') });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'R3TEST', subjects: ['r3.test'], num_replicas: 3 });
    const js = nc.jetstream();
    await js.publish('r3.test', new TextEncoder().encode('before'));
    const victim = stack.nats.find((n) => !stack.natsUrl.startsWith(n.url)) ?? stack.nats[2]!;
    await victim.kill('SIGKILL');
    await stack.natsCluster!.waitForQuorum(30_000);
    // The stream may have had its leader on the lost node: the other two elect a new one within seconds.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await js.publish('r3.test', new TextEncoder().encode('during'), { timeout: 2000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
    await victim.start();
    await stack.natsCluster!.waitForQuorum(30_000);
    // Stream info comes from the stream's leader, which may move while the node rejoins and catches up
    // (CI saw 1 once): ask until both messages are reported, bounded; a lost message still fails.
    let messages = 0;
    const settle = Date.now() + 20_000;
    while (Date.now() < settle) {
      messages = await jsm.streams
        .info('R3TEST')
        .then((i) => i.state.messages)
        .catch(() => 0);
      if (messages === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await nc.close();
    expect(messages).toBe(2);
  }, 90_000);
});
