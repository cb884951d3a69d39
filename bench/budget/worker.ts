/**
 * One fleet process of the budget bench: an LLM client through the real
 * Redis limiter, M callers sending requests to llm-sim for T seconds.
 * Reports its outcome counts to the parent (run.ts) over IPC.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createLlmClient } from '@voc/llm';
import { createRateLimiter } from '@voc/rate-limiter';

export interface BudgetTask {
  redisUrl: string;
  baseUrl: string;
  limiterRps: number;
  marginMs: number;
  callers: number;
  seconds: number;
}

export interface BudgetWorkerResult {
  ok: number;
  failed: number;
  retries429: number;
  pauses: number;
  errors: string[];
}

async function main(task: BudgetTask): Promise<BudgetWorkerResult> {
  const redis = new Redis(task.redisUrl);
  const registry = new Registry();
  const limiter = createRateLimiter({ redis, key: 'bench-budget', rps: task.limiterRps, marginMs: task.marginMs, registry });
  const llm = createLlmClient({
    baseUrl: task.baseUrl,
    apiKey: 'sim-key',
    model: 'qwen-plus-latest',
    // Requests only (no tpm): this bench is about the request budget; bench:tokens is about tokens.
    limiter,
    service: 'bench',
    registry,
    maxRetries: 20,
    timeoutMs: 30_000,
  });
  const end = Date.now() + task.seconds * 1000;
  const out: BudgetWorkerResult = { ok: 0, failed: 0, retries429: 0, pauses: 0, errors: [] };
  await Promise.all(
    Array.from({ length: task.callers }, async (_, i) => {
      while (Date.now() < end) {
        try {
          await llm.chat({ kind: 'other', messages: [{ role: 'user', content: `ping ${process.pid}-${i}-${out.ok}` }] });
          out.ok++;
        } catch (err) {
          out.failed++;
          if (out.errors.length < 5) out.errors.push(err instanceof Error ? err.message : String(err));
        }
      }
    }),
  );
  const metrics = await registry.getMetricsAsJSON();
  const sum = (name: string, filter: (l: Record<string, unknown>) => boolean = () => true) =>
    metrics.find((m) => m.name === name)?.values.filter((v) => filter(v.labels)).reduce((n, v) => n + v.value, 0) ?? 0;
  out.retries429 = sum('llm_retries_total', (l) => l.reason === "rate_limited");
  out.pauses = sum('rate_limiter_pauses_total');
  await limiter.close();
  redis.disconnect();
  return out;
}

process.once('message', (task: BudgetTask) => {
  main(task).then(
    (r) => process.send?.(r, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
});
