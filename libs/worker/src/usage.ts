import type { PrismaClient } from '@voc/db';
import type { LlmUsage } from '@voc/llm';
import type { Logger } from '@voc/service-kit';

interface Tally {
  service: string;
  model: string;
  asin: string;
  day: Date;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  failures: number;
}

/**
 * Counts LLM token usage per (service, model, product, day) in memory and
 * adds it to llm_usage every few seconds: one upsert per key per flush, not
 * one write per call on the hot path.
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
    const key = `${u.service}\u0000${u.model}\u0000${asin}\u0000${day.toISOString()}`;
    let t = this.tallies.get(key);
    if (!t) {
      t = { service: u.service, model: u.model, asin, day, calls: 0, promptTokens: 0, completionTokens: 0, failures: 0 };
      this.tallies.set(key, t);
    }
    t.calls += 1;
    t.promptTokens += u.promptTokens;
    t.completionTokens += u.completionTokens;
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
      try {
        await this.db.llmUsage.upsert({
          where: { service_model_asin_day: { service: t.service, model: t.model, asin: t.asin, day: t.day } },
          create: t,
          update: {
            calls: { increment: t.calls },
            promptTokens: { increment: t.promptTokens },
            completionTokens: { increment: t.completionTokens },
            failures: { increment: t.failures },
          },
        });
      } catch (err) {
        // Usage accounting must never fail the work; the metrics still have it.
        this.log.warn({ err, service: t.service, asin: t.asin }, 'could not record LLM usage');
      }
    }
  }
}
