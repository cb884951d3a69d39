/**
 * REDIS_URL forms as ioredis options, and a client built from a
 * redis+sentinel:// URL against real Redis servers and a real Sentinel:
 * it finds the master, and after a failover it writes to the new master by
 * itself.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { ensureBinaries, freePort, startProcess, waitUntil, type ManagedProcess } from '@voc/local-stack';
import { redisConnectionOptions, RedisUrlError } from '../src/redis-url';

describe('REDIS_URL forms', () => {
  it('reads one server, with password, database and TLS', () => {
    expect(redisConnectionOptions('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(redisConnectionOptions('redis://:p%40ss@cache:6379/2')).toEqual({ host: 'cache', port: 6379, password: 'p@ss', db: 2 });
    expect(redisConnectionOptions('rediss://app:pw@cache')).toEqual({ host: 'cache', port: 6379, username: 'app', password: 'pw', tls: {} });
  });

  it('reads Sentinels, the master name and the password, which the Sentinels share unless told otherwise', () => {
    expect(redisConnectionOptions('redis+sentinel://:pw@s1:26380,s2,10.0.0.3:26379/voc')).toEqual({
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '10.0.0.3', port: 26379 },
      ],
      name: 'voc',
      password: 'pw',
      sentinelPassword: 'pw',
      failoverDetector: true,
      connectTimeout: 2000,
    });
    expect(redisConnectionOptions('redis+sentinel://:pw@s1/voc/3?sentinelPassword=other')).toMatchObject({ db: 3, password: 'pw', sentinelPassword: 'other' });
    expect(redisConnectionOptions('redis+sentinel://:pw@s1/voc?sentinelPassword=')).not.toHaveProperty('sentinelPassword');
    expect(redisConnectionOptions('redis+sentinel://s1:26379/voc')).not.toHaveProperty('password');
  });

  it('refuses what it cannot read, naming the problem without the password', () => {
    const bad = (url: string) => () => redisConnectionOptions(url);
    expect(bad('redis+sentinel://:secret@s1:26379')).toThrow(RedisUrlError);
    expect(bad('redis+sentinel://:secret@s1:26379')).toThrow(/\*\*\*.*master name/);
    expect(bad('redis+sentinel://:secret@s1:26379')).not.toThrow(/secret/);
    expect(bad('redis+sentinel://s1:99999/voc')).toThrow("'99999' is not a port");
    expect(bad('redis://cache/x')).toThrow("database 'x' is not a number");
    expect(bad('http://cache')).toThrow('expected redis://, rediss:// or redis+sentinel://');
  });
});

describe('a client from a redis+sentinel:// URL (real Redis and Sentinel)', () => {
  const PASSWORD = 'sentinel-test-password';
  let dir: string;
  const procs: ManagedProcess[] = [];
  let ports: { a: number; b: number; sentinel: number };
  let client: Redis | undefined;

  const admin = (p: number) => new Redis({ host: '127.0.0.1', port: p, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 1 });
  async function ask<T>(p: number, f: (r: Redis) => Promise<T>): Promise<T> {
    const r = admin(p);
    try {
      await r.connect();
      return await f(r);
    } finally {
      r.disconnect();
    }
  }
  const role = (p: number) => ask(p, async (r) => (await r.role())[0] as string);

  beforeAll(async () => {
    const bin = ensureBinaries();
    dir = mkdtempSync(path.join(tmpdir(), 'voc-sentinel-'));
    ports = { a: await freePort(), b: await freePort(), sentinel: await freePort() };
    const redis = (name: string, port: number, extra: string[]) => {
      const d = path.join(dir, name);
      mkdirSync(d);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--save', '', '--appendonly', 'no'];
      procs.push(startProcess(name, bin.redisServer, [...args, '--requirepass', PASSWORD, '--masterauth', PASSWORD, ...extra]));
    };
    redis('a', ports.a, []);
    redis('b', ports.b, ['--replicaof', '127.0.0.1', String(ports.a)]);
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${ports.sentinel}`,
        'bind 127.0.0.1',
        `requirepass ${PASSWORD}`,
        `sentinel monitor voc 127.0.0.1 ${ports.a} 1`,
        `sentinel auth-pass voc ${PASSWORD}`,
        'sentinel down-after-milliseconds voc 1000',
        'sentinel failover-timeout voc 5000',
        '',
      ].join('\n'),
    );
    procs.push(startProcess('sentinel', bin.redisServer, [conf, '--sentinel']));
    // Ready: the Sentinel has found the replica and sees its link to the master up (a failover
    // needs a replica it deems good; on a loaded machine the first sync can lag its discovery).
    await waitUntil('the sentinel sees a good replica', async () => {
      const replicas = await ask(ports.sentinel, (r) => r.call('SENTINEL', 'REPLICAS', 'voc') as Promise<string[][]>);
      if (replicas.length !== 1) return false;
      const fields = replicas[0]!;
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      return field('flags') === 'slave' && field('master-link-status') === 'ok' && (await role(ports.b)) === 'slave';
    }, undefined, 20_000);
  }, 30_000);

  afterAll(async () => {
    client?.disconnect();
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes to the master the Sentinels name, and to the new master after a failover', async () => {
    client = new Redis({ ...redisConnectionOptions(`redis+sentinel://:${PASSWORD}@127.0.0.1:${ports.sentinel}/voc`), maxRetriesPerRequest: null });
    await client.set('k', 'before');
    expect(await ask(ports.a, (r) => r.get('k'))).toBe('before');

    await ask(ports.sentinel, (r) => r.call('SENTINEL', 'FAILOVER', 'voc'));
    await waitUntil('b promoted', async () => (await role(ports.b)) === 'master', undefined, 20_000);
    // The old master becomes a replica: a write that still reached it would fail (READONLY).
    await waitUntil('a demoted', async () => (await role(ports.a)) === 'slave', undefined, 20_000);
    await waitUntil('the client writes to b', async () => {
      await client!.set('k', 'after');
      return (await ask(ports.b, (r) => r.get('k'))) === 'after';
    }, undefined, 20_000);
  }, 60_000);
});
