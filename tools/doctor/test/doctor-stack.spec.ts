/**
 * The doctor against real servers: NATS (JetStream), Redis and PostgreSQL
 * from @voc/local-stack and the LLM simulator, first set up as the
 * deployment wants them (every check ok), then broken in the ways the doctor
 * exists to catch (each reported, exit code 1), through the API and the CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { connect } from 'nats';
import { Client } from 'pg';
import { applyMigrations } from '@voc/db/migrate';
import { startLlmSim, type LlmSim } from '@voc/llm-sim';
import { freePort, startTestStack, type TestStack } from '@voc/local-stack';
import { ensureStreams } from '@voc/messaging';
import { sampleEnv } from '@voc/infra';
import { runDoctor } from '../src/doctor';
import { exitCode, renderTable, type CheckResult } from '../src/report';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const SIM_KEY = 'sim-key-for-the-doctor-test-0123';

let stack: TestStack;
let sim: LlmSim;
let redis: Redis;
let freshDatabaseUrl: string;
let deadNatsUrl: string;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  sim = await startLlmSim({ port: 0, host: '127.0.0.1', apiKey: SIM_KEY, latencyMs: 5, jitterMs: 0, rpsLimit: 0 });
  dir = mkdtempSync(path.join(tmpdir(), 'voc-doctor-'));
  await applyMigrations(stack.databaseUrl);
  // The deployment's Redis settings (the test stack runs without persistence or a bound).
  redis = new Redis(stack.redisUrl);
  await redis.config('SET', 'appendonly', 'yes');
  await redis.config('SET', 'maxmemory', String(64 * 1024 * 1024));
  // The streams the services provision at start-up.
  const nc = await connect({ servers: stack.natsUrl });
  await ensureStreams(await nc.jetstreamManager(), { replicas: 1 });
  await nc.close();
  // A database nobody migrated, and a NATS port nothing listens on.
  const admin = new Client({ connectionString: stack.databaseUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE never_migrated');
  await admin.end();
  freshDatabaseUrl = stack.databaseUrl.replace(/\/[^/]+$/, '/never_migrated');
  deadNatsUrl = `nats://127.0.0.1:${await freePort()}`;
});

afterAll(async () => {
  await redis?.quit();
  await sim?.stop();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A server A whose .env is right, its servers being the test stack's. */
function healthyVars(): Record<string, string> {
  return {
    ...sampleEnv('server-a'),
    PRIVATE_IP: '127.0.0.1',
    SERVER_B_IP: '127.0.0.1',
    NATS_REPLICAS: '1',
    NATS_URL: stack.natsUrl,
    REDIS_URL: stack.redisUrl,
    DATABASE_URL: stack.databaseUrl,
    LLM_BASE_URL: sim.baseUrl,
    LLM_API_KEY: SIM_KEY,
  };
}

const statusOf = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r.status]));

function explain(results: CheckResult[]): string {
  return `\n${renderTable(results)}\n`;
}

describe('doctor on a real stack', () => {
  it('passes every check of a healthy host', async () => {
    const results = await runDoctor({ role: 'server-a', vars: healthyVars(), llmCall: true, timeoutMs: 5000, localAddresses: ['127.0.0.1'] });
    const notOk = results.filter((r) => r.status !== 'ok');
    expect([notOk, explain(results)]).toEqual([[], expect.any(String)]);
    const s = statusOf(results);
    for (const check of ['nats jetstream', 'nats cluster', 'nats streams', 'redis', 'redis maxmemory-policy', 'redis persistence', 'postgres', 'postgres migrations', 'llm models', 'llm call']) {
      expect([check, s[check]]).toEqual([check, 'ok']);
    }
    expect(exitCode(results)).toBe(0);
  });

  it('reports each problem of a broken host and fails', async () => {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const { GATEWAY_API_KEYS: _gone, ...vars } = healthyVars();
      const results = await runDoctor({
        role: 'server-a',
        vars: {
          ...vars,
          NATS_REPLICAS: '3',
          NATS_URL: `${stack.natsUrl},${deadNatsUrl}`,
          DATABASE_URL: freshDatabaseUrl,
          LLM_API_KEY: 'not-the-key-0123456789',
        },
        llmCall: true,
        timeoutMs: 3000,
        localAddresses: ['127.0.0.1'],
      });
      const s = statusOf(results);
      const expected: Record<string, string> = {
        'env GATEWAY_API_KEYS': 'FAIL',
        'config gateway': 'FAIL',
        'config translate-svc': 'ok',
        [`nats ${stack.natsUrl}`]: 'ok',
        [`nats ${deadNatsUrl}`]: 'FAIL',
        'nats cluster': 'FAIL', // 1 node of the 3 R3 streams want: no quorum
        'redis maxmemory-policy': 'FAIL',
        'postgres': 'ok',
        'postgres migrations': 'FAIL',
        'llm call': 'FAIL', // the simulator refuses the key
      };
      for (const [check, status] of Object.entries(expected)) expect([check, s[check], explain(results)]).toEqual([check, status, expect.any(String)]);
      expect(results.find((r) => r.check === 'redis maxmemory-policy')!.detail).toContain('allkeys-lru');
      expect(results.find((r) => r.check === 'postgres migrations')!.detail).toMatch(/none applied/);
      expect(exitCode(results)).toBe(1);
    } finally {
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('runs as `npm run doctor -- --host server-a`: table, exit 0 when healthy, 1 when not', async () => {
    const envFile = path.join(dir, 'server-a.env');
    // Asynchronous: the simulator answers from this process's event loop.
    const run = (vars: Record<string, string>) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
        execFile(
          process.execPath,
          ['--import', 'tsx', 'tools/doctor/src/main.ts', '--host', 'server-a', '--env-file', envFile, '--llm-call', '--timeout', '5000'],
          // Only the file: nothing of this process's environment leaks into the check.
          { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const good = await run(healthyVars());
    expect([good.status, good.stderr, good.stdout]).toEqual([0, '', expect.stringMatching(/^check\s+status\s+detail$/m)]);
    expect(good.stdout).toMatch(/^postgres migrations\s+ok\s+all \d+ applied$/m);
    expect(good.stdout).not.toContain(SIM_KEY);

    const bad = await run({ ...healthyVars(), DATABASE_URL: freshDatabaseUrl, POSTGRES_PASSWORD: 'bad@password-0123456789' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^env POSTGRES_PASSWORD\s+FAIL\s+set \(23 characters\): use only letters/m);
    expect(bad.stdout).toMatch(/^postgres migrations\s+FAIL\s+none applied/m);
    expect(bad.stdout).toMatch(/\d+ ok, \d+ warn, [1-9]\d* FAIL$/m);
  });
});
