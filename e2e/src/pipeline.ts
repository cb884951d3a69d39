/**
 * The whole pipeline on one machine for tests and benchmarks: real NATS,
 * Redis and PostgreSQL on free loopback ports, llm-sim in this process (or
 * its own, `simProcess`), and every service as its own node process with
 * the environment `npm start` gives it (from the service definitions of
 * @voc/config).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cpuClassOf, SERVICES, serviceEnvironment, type ServiceName } from '@voc/config';
import { applyMigrations } from '@voc/db/migrate';
import { SimClient, startLlmSim, type LlmSim, type SimConfig, type SimStatsSnapshot } from '@voc/llm-sim';
import { simEnv } from '@voc/llm-sim/config';
import { stablePort, startApp, type AppRuntime, startFaultProxy, startTestStack, waitReady, type FaultProxy, type RunningApp, type TestStack } from '@voc/local-stack';

export const ROOT = path.resolve(__dirname, '../..');
export const WORKERS: ServiceName[] = ['ingest-svc', 'translate-svc', 'learning-svc', 'insight-svc', 'theme-svc', 'report-svc'];

export interface Pipeline {
  stack: TestStack;
  /** The running simulator (a new object after startSim()); not with `simProcess`. */
  readonly sim: LlmSim;
  /** llm-sim's stats over HTTP: in this process or its own (`simProcess`). */
  readonly simClient: SimClient;
  /** With `simProcess`: llm-sim's process. */
  simApp?: RunningApp;
  apps: Map<ServiceName, RunningApp>;
  gatewayUrl: string;
  /** The gateway's /metrics (its own port). */
  gatewayMetricsUrl: string;
  apiKey: string;
  env: Record<string, string>;
  logDir: string;
  /** With `databaseProxy`: the proxy every service reaches PostgreSQL through (outages on demand). */
  dbProxy?: FaultProxy;
  /** Starts (again) one service, e.g. after killing it; a service started before keeps its port (the gateway its URL). */
  startService(name: ServiceName, extraEnv?: Record<string, string>): Promise<RunningApp>;
  /** Stops llm-sim (the provider is gone: connections refused) and returns its last stats; not with `simProcess`. */
  stopSim(): Promise<SimStatsSnapshot>;
  /** Starts llm-sim again on its port with the pipeline's settings and `overrides` (other faults, latency…); not with `simProcess`. */
  startSim(overrides?: Partial<SimConfig>): Promise<LlmSim>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  sim?: Partial<SimConfig>;
  /**
   * Run llm-sim as its own process (the provider is another machine: its
   * event loop is not this one's, so it sees requests when they are sent),
   * at `nice`; read its stats with `simClient`. Off by default: tests use
   * the in-process `sim` and stop and start it.
   */
  simProcess?: { nice?: number };
  /** Extra environment for every service (e.g. LEARN_QUIET_MS). */
  env?: Record<string, string>;
  /** Per-service environment. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  services?: ServiceName[];
  /** Server options: a NATS cluster of `natsNodes` (streams then get 3 replicas), Redis with its append-only file. */
  stack?: { natsNodes?: number; redisAppendOnly?: boolean };
  /** Put a fault proxy between the services and PostgreSQL (`Pipeline.dbProxy`). */
  databaseProxy?: boolean;
  /** How long a service may take to answer /readyz, at start and at startService() (default 90 s; tsx compiles each at start, slow on a loaded machine). */
  readyTimeoutMs?: number;
  /**
   * Run each service at its CPU class's priority, as `npm start` does (batch workers niced).
   * Off by default: tests share the machine with other work and time their waits for
   * services at the same priority; benchmarks of the upload path turn it on.
   */
  cpuClasses?: boolean;
  /** How each service runs (startApp of @voc/local-stack): 'source' under tsx (default), or 'bundle' (built first by the caller). */
  runtime?: AppRuntime;
  /** node/V8 flags per service (default none; `nodeFlagsOf` of @voc/config as `npm start` and compose run them). */
  nodeFlags?: (name: ServiceName) => readonly string[];
}

export async function startPipeline(opts: PipelineOptions = {}): Promise<Pipeline> {
  const stack = await startTestStack({}, opts.stack ?? {});
  const logDir = path.join(stack.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const apps = new Map<ServiceName, RunningApp>();
  let sim: LlmSim | undefined;
  let simApp: RunningApp | undefined;
  const ports = new Map<ServiceName, number>();
  let dbProxy: FaultProxy | undefined;
  let gatewayMetricsPort = 0;
  const stop = async () => {
    await dbProxy?.setMode('pass');
    await Promise.all([...apps.values()].map((a) => a.stop()));
    await sim?.stop();
    await simApp?.stop();
    await dbProxy?.stop();
    await stack.stop();
  };
  try {
    await applyMigrations(stack.databaseUrl);
    if (opts.databaseProxy) dbProxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(stack.databaseUrl).port) });
    const simConfig: Partial<SimConfig> = { host: '127.0.0.1', latencyMs: 20, jitterMs: 10, rpsLimit: 250, errorRate: 0, malformedRate: 0, ...opts.sim };
    // A port of its own range: startSim() brings llm-sim back on it after a while down.
    const simPort = await stablePort();
    if (opts.simProcess) {
      const simVars = { ...serviceEnvironment('llm-sim'), ...simEnv({ ...simConfig, port: simPort }), ...(opts.env?.LOG_LEVEL ? { LOG_LEVEL: opts.env.LOG_LEVEL } : {}) };
      simApp = startApp(ROOT, 'llm-sim', simVars, path.join(logDir, 'llm-sim.log'), {
        port: simPort,
        runtime: opts.runtime,
        ...(opts.simProcess.nice !== undefined ? { nice: opts.simProcess.nice } : {}),
      });
      await waitReady(simApp, opts.readyTimeoutMs ?? 90_000);
    } else sim = await startLlmSim({ ...simConfig, port: simPort });
    const simOrigin = `http://127.0.0.1:${simPort}`;
    const apiKey = 'e2e-key';
    const env: Record<string, string> = {
      NATS_URL: stack.natsUrl,
      ...((opts.stack?.natsNodes ?? 1) >= 3 ? { NATS_REPLICAS: '3' } : {}),
      REDIS_URL: stack.redisUrl,
      DATABASE_URL: dbProxy ? dbProxy.url(stack.databaseUrl) : stack.databaseUrl,
      LLM_BASE_URL: `${simOrigin}/v1`,
      GATEWAY_API_KEYS: apiKey,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...opts.env,
    };
    const startService = async (name: ServiceName, extraEnv: Record<string, string> = {}) => {
      const def = SERVICES[name];
      const port = ports.get(name) ?? (await stablePort());
      ports.set(name, port);
      // The gateway serves /metrics on a port of its own: a free one here (kept over restarts), not its default.
      if (name === 'gateway' && !gatewayMetricsPort) gatewayMetricsPort = await stablePort();
      const metrics: Record<string, string> = name === 'gateway' ? { GATEWAY_METRICS_PORT: String(gatewayMetricsPort) } : {};
      const app = startApp(
        ROOT,
        name,
        { ...serviceEnvironment(name), ...env, ...metrics, ...opts.serviceEnv?.[name], ...extraEnv, [def.portVar]: String(port) },
        path.join(logDir, `${name}.log`),
        { port, runtime: opts.runtime, nodeFlags: opts.nodeFlags?.(name), ...(opts.cpuClasses ? { nice: cpuClassOf(name).nice } : {}) },
      );
      apps.set(name, app);
      await waitReady(app, opts.readyTimeoutMs ?? 90_000);
      return app;
    };
    const names = opts.services ?? (['gateway', ...WORKERS] as ServiceName[]);
    await Promise.all(names.map((n) => startService(n)));
    const gw = apps.get('gateway');
    const inProcessOnly = (what: string) => {
      if (simApp) throw new Error(`${what}: llm-sim runs as its own process (simProcess)`);
    };
    const stopSim = async () => {
      inProcessOnly('stopSim');
      if (!sim) throw new Error('llm-sim is not running');
      const last = sim.stats();
      await sim.stop();
      sim = undefined;
      return last;
    };
    const startSim = async (overrides: Partial<SimConfig> = {}) => {
      inProcessOnly('startSim');
      if (sim) await stopSim();
      // The same port: every service's LLM_BASE_URL points there.
      sim = await startLlmSim({ ...simConfig, ...overrides, port: simPort });
      return sim;
    };
    return {
      stack,
      get sim() {
        inProcessOnly('sim');
        if (!sim) throw new Error('llm-sim is stopped (startSim() starts it again)');
        return sim;
      },
      simClient: new SimClient(simOrigin),
      ...(simApp ? { simApp } : {}),
      apps,
      gatewayUrl: gw ? `http://127.0.0.1:${gw.port}` : '',
      gatewayMetricsUrl: gw ? `http://127.0.0.1:${gatewayMetricsPort}/metrics` : '',
      apiKey,
      env,
      logDir,
      ...(dbProxy ? { dbProxy } : {}),
      startService,
      stopSim,
      startSim,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
