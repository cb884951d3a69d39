import type { PrismaClient } from '@voc/db';
import type { LlmUsage } from '@voc/llm';
import type { Logger } from '@voc/service-kit';

interface Tally {
  service: string;
  model: string;
  stage: string;
  asin: string;
  day: Date;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  limitTokens: number;
  cost: number;
  failures: number;
}

const COUNTERS = ['calls', 'promptTokens', 'completionTokens', 'cachedTokens', 'limitTokens', 'cost', 'failures'] as const;

/**
 * Counts LLM usage per (service, model, stage, product, day) in memory and
 * adds it to llm_usage every few seconds: one upsert per key per flush, not
 * one write per call on the hot path. stop() writes what is left (the worker
 * calls it on shutdown, before closing the database), so a clean stop loses
 * nothing; a crash loses at most the last `flushMs`.
 */
export class UsageRecorder {
  private tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: PrismaClient,
    private readonly log: Logger,
    private readonly flushMs = 5000,
  ) {}

  record = (u: LlmUsage): void => {
    const day = new Date(new Date().toISOString().slice(0, 10));
    const asin = u.asin ?? '';
    const key = [u.service, u.model, u.kind, asin, day.toISOString()].join('\u0000');
    let t = this.tallies.get(key);
    if (!t) {
      t = { service: u.service, model: u.model, stage: u.kind, asin, day, calls: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, limitTokens: 0, cost: 0, failures: 0 };
      this.tallies.set(key, t);
    }
    t.calls += 1;
    t.promptTokens += u.promptTokens;
    t.completionTokens += u.completionTokens;
    t.cachedTokens += u.cachedTokens;
    t.limitTokens += u.promptTokens + u.maxTokens;
    t.cost += u.cost;
    if (!u.ok) t.failures += 1;
  };

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async flush(): Promise<void> {
    const batch = [...this.tallies.values()];
    this.tallies = new Map();
    for (const t of batch) {
      const { service, model, stage, asin, day } = t;
      try {
        await this.db.llmUsage.upsert({
          where: { service_model_stage_asin_day: { service, model, stage, asin, day } },
          create: t,
          update: Object.fromEntries(COUNTERS.map((c) => [c, { increment: t[c] }])),
        });
      } catch (err) {
        // Usage accounting must never fail the work; the metrics still have it.
        this.log.warn({ err, service, stage, asin }, 'could not record LLM usage');
      }
    }
  }
}
