import type { Express, Request, Response } from 'express';
import type { Registry } from 'prom-client';

/** A named readiness probe: resolves when the dependency answers, rejects otherwise. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs every check in parallel; ready only when all pass. */
export async function runChecks(checks: ReadinessCheck[]) {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await withTimeout(c.check(), CHECK_TIMEOUT_MS, c.name);
        return { name: c.name, ok: true as const };
      } catch (e) {
        return { name: c.name, ok: false as const, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
  return { ready: results.every((r) => r.ok), checks: results };
}

/**
 * Mounts /healthz (the process is alive), /readyz (its dependencies answer;
 * 503 while shutting down) and, unless `metrics: false`, /metrics.
 */
export function mountHealthRoutes(
  app: Express,
  opts: { registry: Registry; checks: ReadinessCheck[]; isShuttingDown: () => boolean; isStarting?: () => boolean; metrics?: boolean },
): void {
  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req: Request, res: Response) => {
    if (opts.isShuttingDown()) {
      res.status(503).json({ ready: false, reason: 'shutting down' });
      return;
    }
    // Dependencies may answer before start() has bound consumers and routes: not ready until it has.
    if (opts.isStarting?.()) {
      res.status(503).json({ ready: false, reason: 'starting' });
      return;
    }
    const result = await runChecks(opts.checks);
    res.status(result.ready ? 200 : 503).json(result);
  });
  if (opts.metrics !== false) mountMetricsRoute(app, opts.registry);
}

/** GET /metrics: the registry in Prometheus' text format. */
export function mountMetricsRoute(app: Express, registry: Registry): void {
  app.get('/metrics', async (_req: Request, res: Response) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
}
