import { Client } from 'pg';
import { connect } from 'nats';
import Redis from 'ioredis';
import { startTestStack, type TestStack } from '../src';

describe('startTestStack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('starts a PostgreSQL that accepts the returned URL', async () => {
    const c = new Client({ connectionString: stack.databaseUrl });
    await c.connect();
    const r = await c.query('SELECT current_database() AS db, current_user AS u');
    await c.end();
    expect(r.rows[0]).toEqual({ db: 'voc', u: 'voc' });
  });

  it('starts Redis with an eviction policy that never drops keys', async () => {
    const r = new Redis(stack.redisUrl);
    const policy = (await r.config('GET', 'maxmemory-policy')) as string[];
    await r.quit();
    expect(policy[1]).toBe('noeviction');
  });

  it('starts NATS with JetStream enabled', async () => {
    const nc = await connect({ servers: stack.natsUrl });
    const jsm = await nc.jetstreamManager();
    const info = await jsm.getAccountInfo();
    await nc.close();
    expect(info.limits).toBeDefined();
  });

  it('stops every server it started', async () => {
    const pids = stack.servers.map((s) => s.proc.pid);
    await stack.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
