import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureBinaries, freePort, startProcess, waitUntil, type ManagedProcess } from '@voc/local-stack';
import Redis from 'ioredis';
import { createRateLimiter } from '../src';
import { runLimiterCli } from '../src/operator-cli';
import { QUICK, useRedis } from './support';

jest.setTimeout(60_000);

const env = useRedis();

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runLimiterCli(args, {
    env: { REDIS_URL: env.url, LLM_MODEL_LIMITS: 'cli-key=20' },
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err };
}

describe('npm run limiter', () => {
  it('halts, reports and resumes a key for the whole fleet', async () => {
    const limiter = createRateLimiter({ redis: env.clients.create(), key: 'cli-key', rps: 20, ...QUICK });
    await limiter.acquire();

    expect((await cli('halt', 'cli-key', '--reason', 'Arrearage (operator test)', '--probe-every-ms', '60000')).code).toBe(0);
    const status = await cli('status', 'cli-key');
    // Exit code 1 while a key is halted, for monitoring scripts.
    expect(status.code).toBe(1);
    expect(JSON.parse(status.out)[0]).toMatchObject({ key: 'cli-key', halted: { reason: 'Arrearage (operator test)' }, mode: 'redis' });
    expect((await limiter.stats()).halted?.reason).toBe('Arrearage (operator test)');

    // The real command, as an operator runs it.
    const tsx = path.join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, [path.join(__dirname, '..', 'scripts', 'limiter-cli.ts'), 'resume', 'cli-key', '--reason', 'balance topped up'], {
      env: { ...process.env, REDIS_URL: env.url, LLM_MODEL_LIMITS: 'cli-key=20' },
    });
    expect(JSON.parse(stdout)).toMatchObject({ key: 'cli-key', halted: null });
    expect((await cli('status')).code).toBe(0);
    await limiter.close();
  });

  it('says what is wrong with a bad command and changes nothing', async () => {
    expect(await cli('explode')).toMatchObject({ code: 2, err: expect.stringContaining('usage: limiter') });
    expect(await cli('resume')).toMatchObject({ code: 2, err: expect.stringContaining('exactly one key') });
    expect(await cli('halt', 'cli-key')).toMatchObject({ code: 2, err: expect.stringContaining('--reason') });
    expect(await cli('status', 'nope')).toMatchObject({ code: 2, err: expect.stringContaining("unknown key 'nope'") });
    expect(await cli('halt', 'cli-key', '--reason', 'x', '--probe-every-ms', '-5')).toMatchObject({ code: 2 });
    expect(await cli('halt', 'cli-key', '--reason', 'x', '--probe-every-ms=0')).toMatchObject({ code: 2 });
    expect(await cli('status', '--bogus')).toMatchObject({ code: 2 });
    const status = await cli('status', 'cli-key');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)[0].halted).toBeNull();
  });

  it('fails with exit code 1 when Redis is unreachable', async () => {
    let err = '';
    const code = await runLimiterCli(['resume', 'cli-key'], {
      env: { REDIS_URL: 'redis://127.0.0.1:1', LLM_MODEL_LIMITS: 'cli-key=20' },
      out: () => undefined,
      err: (t) => (err += t),
    });
    expect(code).toBe(1);
    expect(err).toMatch(/limiter resume/);
  });

  it('reaches the master through the Sentinels of a redis+sentinel:// URL, as on the HA hosts', async () => {
    const master = new URL(env.url);
    const dir = mkdtempSync(path.join(tmpdir(), 'voc-cli-sentinel-'));
    const port = await freePort();
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `sentinel monitor voc ${master.hostname} ${master.port} 1`, ''].join('\n'));
    let sentinel: ManagedProcess | undefined;
    try {
      sentinel = startProcess('sentinel', ensureBinaries().redisServer, [conf, '--sentinel']);
      await waitUntil('the Sentinel answers', async () => {
        const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await r.connect();
          return (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'voc')) !== null;
        } catch {
          return false;
        } finally {
          r.disconnect();
        }
      }, undefined, 15_000);
      let out = '';
      let err = '';
      const io = { env: { REDIS_URL: `redis+sentinel://127.0.0.1:${port}/voc`, LLM_MODEL_LIMITS: 'cli-key=20' }, out: (t: string) => (out += t), err: (t: string) => (err += t) };
      expect(await runLimiterCli(['halt', 'cli-key', '--reason', 'through the Sentinel'], io)).toBe(0);
      expect(err).toBe('');
      // Stored in the master the Sentinel named (the test's Redis).
      const limiter = createRateLimiter({ redis: env.clients.create(), key: 'cli-key', rps: 20, ...QUICK });
      expect((await limiter.stats()).halted?.reason).toBe('through the Sentinel');
      expect(await runLimiterCli(['resume', 'cli-key'], io)).toBe(0);
      expect((await limiter.stats()).halted).toBeNull();
      await limiter.close();
      expect(JSON.parse(out.slice(out.lastIndexOf('{\n  "key"')))).toMatchObject({ key: 'cli-key', halted: null, mode: 'redis' });
    } finally {
      await sentinel?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a REDIS_URL it cannot read with exit code 2, naming the problem', async () => {
    let err = '';
    const code = await runLimiterCli(['status'], { env: { REDIS_URL: 'http://cache:6379', LLM_MODEL_LIMITS: 'cli-key=20' }, out: () => undefined, err: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toContain('expected redis://, rediss:// or redis+sentinel://');
  });
});
