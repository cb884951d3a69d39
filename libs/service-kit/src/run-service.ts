import express, { type Express } from 'express';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { mountHealthRoutes, mountMetricsRoute, type ReadinessCheck } from './health';
import { createLogger, type Logger } from './logger';
import { createMetricsRegistry } from './metrics';
import { Shutdown } from './shutdown';

export interface ServiceContext {
  readonly name: string;
  readonly log: Logger;
  readonly registry: Registry;
  /** The HTTP app; health routes are mounted on it, a service may add its own. */
  readonly app: Express;
  /** Register a readiness probe for a dependency (NATS, Redis, PostgreSQL…). */
  addCheck(check: ReadinessCheck): void;
  /** Register something to close on shutdown; closers run last-registered first. */
  onShutdown(name: string, close: () => Promise<unknown> | unknown): void;
  /** True once SIGTERM/SIGINT arrived: long loops should stop taking work. */
  readonly stopping: boolean;
}

export interface RunServiceOptions {
  name: string;
  port: number;
  host?: string;
  shutdownTimeoutMs?: number;
  /** Connects dependencies and starts work. Throwing here exits the process with 1. */
  start: (ctx: ServiceContext) => Promise<void> | void;
  /** Install SIGTERM/SIGINT handlers (default true; tests pass false). */
  handleSignals?: boolean;
  /**
   * Serve /metrics on this port (0 = any free one) instead of `port`, e.g. so
   * a public API port does not expose it. Default: on `port`.
   */
  metricsPort?: number;
}

export interface RunningService {
  ctx: ServiceContext;
  server: Server;
  port: number;
  /** Where /metrics is served: `port` unless `metricsPort` was given. */
  metricsPort: number;
  stop: (reason?: string) => Promise<void>;
}

/**
 * The one way a process of this project starts: logger, metrics, health
 * server, start-up, and ordered shutdown on SIGTERM. A service's main.ts only
 * says what to connect and what to consume.
 */
export async function runService(opts: RunServiceOptions): Promise<RunningService> {
  const log = createLogger(opts.name);
  const registry = createMetricsRegistry(opts.name);
  const shutdown = new Shutdown(log, opts.shutdownTimeoutMs ?? 25_000);
  const checks: ReadinessCheck[] = [];
  const app = express();
  app.disable('x-powered-by');
  let starting = true;
  const separateMetrics = opts.metricsPort !== undefined;
  mountHealthRoutes(app, { registry, checks, isShuttingDown: () => shutdown.started, isStarting: () => starting, metrics: !separateMetrics });
  // The port is open before start() has mounted the service's own routes: a
  // request for them meanwhile (a client retrying against a restarted
  // gateway) gets 503 and retries, not a 404 it would take as final.
  app.use((_req, res, next) => {
    if (!starting) return next();
    res.set('Retry-After', '1').status(503).json({ error: { code: 'starting', message: `${opts.name} is starting; retry` } });
  });

  const ctx: ServiceContext = {
    name: opts.name,
    log,
    registry,
    app,
    addCheck: (c) => checks.push(c),
    onShutdown: (name, close) => shutdown.add(name, close),
    get stopping() {
      return shutdown.started;
    },
  };

  // The HTTP servers are registered first so they close last: /readyz keeps
  // answering 503 while the rest drains.
  const listen = async (what: string, handler: Express, port: number) => {
    const server = await new Promise<Server>((resolve, reject) => {
      const s = handler.listen(port, opts.host ?? '0.0.0.0', () => resolve(s));
      s.once('error', (err) => reject(new Error(`${opts.name}: cannot listen on port ${port}: ${err.message}`)));
    });
    shutdown.add(what, () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
    const address = server.address();
    return { server, port: typeof address === 'object' && address ? address.port : port };
  };
  let metricsPort: number | undefined;
  if (separateMetrics) {
    const metricsApp = express();
    metricsApp.disable('x-powered-by');
    mountMetricsRoute(metricsApp, registry);
    metricsPort = (await listen('metrics http', metricsApp, opts.metricsPort!)).port;
  }
  const { server, port } = await listen('http', app, opts.port);

  if (opts.handleSignals !== false) {
    shutdown.installSignalHandlers();
    process.on('unhandledRejection', (err) => {
      log.fatal({ err }, 'unhandled rejection');
      void shutdown.run('unhandledRejection').then(() => process.exit(1));
    });
  }

  try {
    await opts.start(ctx);
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    await shutdown.run('start-up failed');
    throw err;
  }
  starting = false;
  log.info({ port, metricsPort: metricsPort ?? port }, 'started');
  return { ctx, server, port, metricsPort: metricsPort ?? port, stop: (reason = 'stop') => shutdown.run(reason) };
}

/** For main.ts: run the service, and exit 1 with the reason if start-up fails. */
export function main(opts: RunServiceOptions): void {
  runService(opts).catch((err: unknown) => {
    // The logger already recorded it; make sure a human reading stderr sees it too.
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
