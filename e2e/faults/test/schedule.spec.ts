import { QUEUES } from '@voc/messaging';
import { buildSchedule, deliveryBudgetMs, llmCallBudgetMs, RETRY_MODEL } from '../src/schedule';

describe('the retry schedule an outage must outlast', () => {
  it('adds every attempt and the longest nak delays between deliveries (doubling from 1 s, capped at 60 s, +20 %)', () => {
    expect(deliveryBudgetMs(5, 0, RETRY_MODEL)).toBeCloseTo((1 + 2 + 4 + 8) * 1.2 * 1000);
    expect(deliveryBudgetMs(8, 0, RETRY_MODEL)).toBeCloseTo((1 + 2 + 4 + 8 + 16 + 32 + 60) * 1.2 * 1000);
    expect(deliveryBudgetMs(5, 30_000, RETRY_MODEL)).toBeCloseTo(150_000 + 18_000);
  });

  it('gives an LLM call its attempts and the longest backoffs (doubling from 1 s, capped at 30 s)', () => {
    expect(llmCallBudgetMs({ ...RETRY_MODEL, llmTimeoutMs: 5000, llmMaxRetries: 2 })).toBe(3 * 5000 + 1000 + 2000);
    expect(llmCallBudgetMs({ ...RETRY_MODEL, llmTimeoutMs: 60_000, llmMaxRetries: 5 })).toBe(6 * 60_000 + 31_000);
  });

  it('makes each CI outage outlast the schedule it names, and --full outlast INGEST\'s and production\'s LLM settings', () => {
    const ci = buildSchedule(false);
    const m = { ...RETRY_MODEL, llmTimeoutMs: 5000, llmMaxRetries: 2 };
    expect(ci.env).toEqual({ LLM_TIMEOUT_MS: '5000', LLM_MAX_RETRIES: '2' });
    expect(ci.pgDown.ms).toBeGreaterThan(deliveryBudgetMs(QUEUES.INGEST.consumer.maxDeliver, 0, m));
    expect(ci.pgHung.ms).toBeGreaterThan(deliveryBudgetMs(QUEUES.INSIGHT.consumer.maxDeliver, 30_000, m));
    expect(ci.llmDown.ms).toBeGreaterThan(deliveryBudgetMs(QUEUES.TRANSLATE.consumer.maxDeliver, llmCallBudgetMs(m), m));
    const full = buildSchedule(true);
    expect(full.env).toEqual({ LLM_TIMEOUT_MS: '60000', LLM_MAX_RETRIES: '5' });
    expect(full.pgHung.ms).toBeGreaterThan(deliveryBudgetMs(QUEUES.INGEST.consumer.maxDeliver, 30_000, m));
    expect(full.llmDown.ms).toBeGreaterThan(30 * 60_000);
  });
});
