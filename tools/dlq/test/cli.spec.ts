/**
 * `npm run dlq`: its commands against a real NATS holding real dead letters
 * (put there by a consumer runner), and the entry point as a process.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { listDeadLetters, queueStats } from '@voc/messaging';
import { parseArgs, run, UsageError, type Command } from '../src/cli';
import { deadLetterReports, startEnv, type Env } from './support';

jest.setTimeout(60_000);

describe('npm run dlq', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
    await deadLetterReports(env.nc, ['rep-a', 'rep-b', 'rep-c']);
  }, 60_000);
  afterAll(() => env?.stop());

  async function cli(argv: string[]): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const code = await run(parseArgs(argv), { js: env.nc.jetstream(), jsm: await env.nc.jetstreamManager() }, (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  }
  const seqs = async () => (await listDeadLetters(await env.nc.jetstreamManager(), undefined)).map((e) => e.seq);

  it('lists the dead letters with queue, reason, deliveries and error', async () => {
    const { code, out } = await cli(['list']);
    expect(code).toBe(0);
    expect(out).toMatch(/^seq\s+queue\s+reason\s+deliv/);
    expect(out.match(/REPORT\s+permanent\s+1/g)).toHaveLength(3);
    expect(out).toContain('the product was deleted');
    expect(out).toMatch(/3 shown \(3 permanent\)/);
    expect((await cli(['list', 'ingest'])).out).toBe('no dead letters for INGEST');
  });

  it('shows one dead letter with its origin and body', async () => {
    const [first] = await seqs();
    const { out } = await cli(['show', String(first)]);
    expect(out).toContain('reason       permanent');
    expect(out).toMatch(/origin\s+REPORT seq \d+ on voc\.report/);
    expect(out).toContain('"reportId": "rep-a"');
    expect(out).toContain(`npm run dlq -- requeue ${first}`);
  });

  it('requeues one to its queue, where it waits with a fresh delivery budget', async () => {
    const [first] = await seqs();
    const { code, out } = await cli(['requeue', String(first)]);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`requeued DLQ ${first} to REPORT as seq \\d+`));
    const stats = await queueStats(await env.nc.jetstreamManager());
    expect(stats.REPORT).toMatchObject({ messages: 1, dlq: 2, dlqByReason: { permanent: 2 } });
    // It is gone from the DLQ: showing it again says so, with exit code 1.
    expect(await cli(['show', String(first)])).toEqual({ code: 1, out: expect.stringMatching(/no dead letter with DLQ seq/) });
  });

  it('drops one for good', async () => {
    const [, second] = await seqs();
    const { code, out } = await cli(['drop', String(second)]);
    expect(code).toBe(0);
    expect(out).toMatch(/dropped DLQ \d+ \(REPORT, permanent/);
    expect(await seqs()).toHaveLength(1);
  });

  it('requeues every dead letter of a queue with --all', async () => {
    const { out } = await cli(['requeue', '--all', 'report']);
    expect(out).toMatch(/1 dead letter\(s\) requeued for REPORT/);
    expect(await seqs()).toEqual([]);
  });

  it.each<[string[], RegExp]>([
    [[], /no command/],
    [['purge'], /unknown command 'purge'/],
    [['show'], /needs one DLQ sequence number/],
    [['show', 'abc'], /seq must be a positive whole number/],
    [['list', 'nosuch'], /unknown queue 'nosuch'/],
    [['list', '--limit'], /--limit needs a value/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('parses the documented forms', () => {
    expect(parseArgs(['list', 'Translate', '--limit', '5', '--from', '9', '--json'])).toEqual<Command>({ kind: 'list', queue: 'TRANSLATE', limit: 5, from: 9, json: true });
    expect(parseArgs(['requeue', '--all'])).toEqual<Command>({ kind: 'requeue-all' });
  });

  it('runs as `npm run dlq` does: a process with NATS_URL, exit code 0, output on stdout; 2 on a usage error', async () => {
    const root = path.resolve(__dirname, '../../..');
    const main = path.join(root, 'tools/dlq/src/main.ts');
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, ['--import', 'tsx', main, 'list', '--json'], { cwd: root, env: { ...process.env, NATS_URL: env.stack.natsUrl } });
    expect(JSON.parse(ok.stdout)).toEqual([]);
    const bad = await exec(process.execPath, ['--import', 'tsx', main, 'frobnicate'], { cwd: root, env: { ...process.env, NATS_URL: env.stack.natsUrl } }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command 'frobnicate'[\s\S]*usage: npm run dlq/) });
  });
});
