/**
 * `@voc/worker/testing`: the start-up test of a service app. Its real
 * main.ts runs in a child process, as under `npm start` and compose, against
 * real NATS, Redis and PostgreSQL (migrated) on free loopback ports.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceEnvironment, type ServiceName } from '@voc/config';
import { applyMigrations } from '@voc/db/migrate';
import { freePort, startApp, startTestStack, waitReady } from '@voc/local-stack';

export interface LifecycleRun {
  /** From spawn until /readyz answered 200. */
  readyMs: number;
  /** From SIGTERM until the process exited. */
  stopMs: number;
  exitCode: number | null;
  /** The JSON log lines the process wrote (pino), parsed. */
  log: Record<string, unknown>[];
}

const ROOT = path.resolve(__dirname, '../../..');

/**
 * Starts service `name` with only the connection settings and a free health
 * port in its environment (every other setting unset, so its SERVICES
 * defaults apply), waits for /readyz 200, sends SIGTERM and waits for the
 * exit. The LLM endpoint is a closed loopback port: start-up never calls it.
 */
export async function runServiceLifecycle(name: ServiceName, env: Record<string, string> = {}): Promise<LifecycleRun> {
  const stack = await startTestStack();
  try {
    await applyMigrations(stack.databaseUrl);
    const port = await freePort();
    const logFile = path.join(stack.dataDir, `${name}.log`);
    const started = Date.now();
    const app = startApp(
      ROOT,
      name,
      {
        NATS_URL: stack.natsUrl,
        REDIS_URL: stack.redisUrl,
        DATABASE_URL: stack.databaseUrl,
        HEALTH_PORT: String(port),
        LLM_BASE_URL: 'http://127.0.0.1:9/v1',
        LOG_LEVEL: 'info',
        // Empty counts as unset: the shell running the tests must not leak its own value.
        CONCURRENCY: '',
        ...env,
      },
      logFile,
      { port },
    );
    try {
      await waitReady(app, 60_000);
    } catch (err) {
      app.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${readFileSync(logFile, 'utf8')}`);
    }
    const readyMs = Date.now() - started;
    const stopping = Date.now();
    app.kill('SIGTERM');
    const exitCode = await app.exited;
    const stopMs = Date.now() - stopping;
    const log = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { readyMs, stopMs, exitCode, log };
  } finally {
    await stack.stop();
  }
}

/**
 * The jest suite of a worker service app (its test/main.spec.ts is this one
 * call): ready, SIGTERM exits 0 within 10 s, and with nothing set in its
 * environment it runs with its SERVICES defaults, as under `npm start`.
 */
export function describeServiceLifecycle(name: ServiceName): void {
  describe(`${name} as a process`, () => {
    let run: LifecycleRun;

    beforeAll(async () => {
      run = await runServiceLifecycle(name);
    }, 90_000);

    it('becomes ready, and exits 0 promptly on SIGTERM', () => {
      expect(run.exitCode).toBe(0);
      expect(run.stopMs).toBeLessThan(10_000);
    });

    it('consumes with the CONCURRENCY of its SERVICES entry when none is set', () => {
      const consuming = run.log.filter((l) => l.msg === 'consuming');
      expect(consuming.length).toBeGreaterThan(0);
      for (const l of consuming) expect(l.concurrency).toBe(Number(serviceEnvironment(name).CONCURRENCY));
    });
  });
}
