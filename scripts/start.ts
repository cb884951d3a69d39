/**
 * `npm start`: the whole single-host stack. Starts NATS (JetStream), Redis and
 * PostgreSQL with data under .voc/ (unless NATS_URL / REDIS_URL /
 * DATABASE_URL point elsewhere), migrates the database, starts llm-sim
 * (unless LLM_BASE_URL is set) and every service, waits until each answers
 * /readyz, prints where the gateway listens and its API key, and stays up.
 * Ctrl-C or SIGTERM stops everything it started, services first.
 *
 * The services run as the image runs them: each app's bundle (dist/main.js,
 * rebuilt here on every start, under a second, so never stale) with its node
 * flags and allocator setting (libs/config node-runtime.ts); tsx's compiler
 * would add ~60 MB to each process. VOC_APP_RUNTIME=source runs the sources
 * under tsx instead.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { cpuClassOf, env, loadConfig, NODE_RUNTIME_ENV, nodeFlagsOf, SERVICES, serviceEnvironment, type ServiceName } from '@voc/config';
import { applyMigrations } from '@voc/db/migrate';
import { bundleApps, startApp, startStack, waitReady, type RunningApp, type Stack } from '@voc/local-stack';

const ROOT = path.resolve(__dirname, '..');
const VOC = path.join(ROOT, '.voc');
const say = (msg: string) => process.stdout.write(`[voc] ${msg}\n`);

/** The ports of what `npm start` runs itself, checked like every service's settings. */
const readPorts = () =>
  loadConfig(
    'npm start',
    z.object({
      VOC_NATS_PORT: env.port(4222),
      VOC_NATS_HTTP_PORT: env.port(8222),
      VOC_REDIS_PORT: env.port(6379),
      VOC_POSTGRES_PORT: env.port(5432),
      LLM_SIM_PORT: env.port(SERVICES['llm-sim'].port),
      VOC_APP_RUNTIME: z.enum(['bundle', 'source']).default('bundle'),
    }),
  );

/** GATEWAY_API_KEYS, or a key made once and kept in .voc/ so restarts keep it. */
function gatewayKeys(): string {
  if (process.env.GATEWAY_API_KEYS) return process.env.GATEWAY_API_KEYS;
  const file = path.join(VOC, 'gateway-api-key');
  if (!existsSync(file)) writeFileSync(file, `voc_${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function main(): Promise<void> {
  mkdirSync(path.join(VOC, 'logs'), { recursive: true });
  const apps: RunningApp[] = [];
  let stack: Stack | undefined;
  let stopping = false;

  const stopAll = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})…`);
    // Services first (they drain their messages), then the servers they use.
    await Promise.all([...apps].reverse().map((a) => a.stop()));
    await stack?.stop();
    say('stopped');
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => void stopAll(sig).then(() => process.exit(0)));
  }

  try {
    const ports = readPorts();
    stack = await startStack({
      dataDir: VOC,
      persistent: true,
      ports: {
        nats: ports.VOC_NATS_PORT,
        natsHttp: ports.VOC_NATS_HTTP_PORT,
        redis: ports.VOC_REDIS_PORT,
        postgres: ports.VOC_POSTGRES_PORT,
      },
      external: {
        natsUrl: process.env.NATS_URL || undefined,
        redisUrl: process.env.REDIS_URL || undefined,
        databaseUrl: process.env.DATABASE_URL || undefined,
      },
      log: say,
    });
    const { applied } = await applyMigrations(stack.databaseUrl);
    say(applied.length ? `database migrated: ${applied.join(', ')}` : 'database schema up to date');

    const llmSimPort = ports.LLM_SIM_PORT;
    const useSim = !process.env.LLM_BASE_URL;
    const apiKeys = gatewayKeys();
    const shared: Record<string, string> = {
      NATS_URL: stack.natsUrl,
      REDIS_URL: stack.redisUrl,
      DATABASE_URL: stack.databaseUrl,
      LLM_BASE_URL: process.env.LLM_BASE_URL || `http://127.0.0.1:${llmSimPort}/v1`,
      GATEWAY_API_KEYS: apiKeys,
    };
    const names = (Object.keys(SERVICES) as ServiceName[]).filter((n) => n !== 'llm-sim' || useSim);
    const runtime = ports.VOC_APP_RUNTIME;
    if (runtime === 'bundle') {
      // esbuild, every app at once: the current sources, whatever was built before.
      bundleApps(ROOT, names);
      say(`bundled ${names.length} apps (apps/<app>/dist/main.js)`);
    }
    // All at once: the LLM services do not need llm-sim to become ready, only to get answers.
    for (const name of names) {
      // Explicit environment wins over the definitions (e.g. CONCURRENCY=10 npm start).
      const env = { ...NODE_RUNTIME_ENV, ...serviceEnvironment(name), ...pickSet(Object.keys(serviceEnvironment(name))), ...shared };
      if (name === 'llm-sim') env.LLM_SIM_PORT = String(llmSimPort);
      // Batch work yields the CPU to the upload path (libs/config cpu-class.ts).
      apps.push(startApp(ROOT, name, env, path.join(VOC, 'logs', `${name}.log`), { nice: cpuClassOf(name).nice, runtime, nodeFlags: nodeFlagsOf(name) }));
    }
    await Promise.all(apps.map((a) => waitReady(a)));
    const gw = apps.find((a) => a.name === 'gateway')!;
    say('every service is ready:');
    for (const a of apps) say(`  ${a.name.padEnd(14)} http://127.0.0.1:${a.port}  (pid ${a.pid}, ${cpuClassOf(a.name).cpuClass}, log .voc/logs/${a.name}.log)`);
    say('');
    say(`gateway  http://127.0.0.1:${gw.port}`);
    say(`API key  ${apiKeys.split(',')[0]}`);
    say(`try      curl -H "Authorization: Bearer ${apiKeys.split(',')[0]}" http://127.0.0.1:${gw.port}/v1/queues`);
    say('Ctrl-C stops everything.');
    for (const a of apps) {
      a.exited.then((code) => {
        if (!stopping) say(`${a.name} exited with code ${code}; see .voc/logs/${a.name}.log`);
      });
    }
  } catch (err) {
    say(`start failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll('start-up failed');
    process.exit(1);
  }
}

/** The subset of `keys` set in this shell's environment. */
function pickSet(keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (process.env[k]) out[k] = process.env[k]!;
  return out;
}

void main();
