import { QUEUES } from '@voc/messaging';
import { buildSchedule, deliveryBudgetMs, llmCallBudgetMs, RETRY_MODEL } from '../src/schedule';

describe('the retry schedule an outage must outlast', () => {
  it('waits the runner\'s first delay, then the consumer\'s backoff steps (the last repeating), and every attempt', () => {
    const m = { firstNakMs: 1000, backoffMs: [30_000, 60_000, 120_000] };
    expect(deliveryBudgetMs(5, 0, m)).toBe(1000 + 30_000 + 60_000 + 120_000);
    expect(deliveryBudgetMs(8, 0, m)).toBe(1000 + 30_000 + 60_000 + 4 * 120_000);
    expect(deliveryBudgetMs(5, 30_000, m)).toBe(5 * 30_000 + 211_000);
    expect(deliveryBudgetMs(3, 0, { firstNakMs: 1000, backoffMs: [] })).toBe(2000);
  });

  it('reads the backoff steps from the consumers\' settings', () => {
    expect(RETRY_MODEL.backoffMs).toEqual(QUEUES.INSIGHT.consumer.backoffMs);
  });

  it('gives an LLM call its attempts and the longest backoffs (doubling from 1 s, capped at 30 s)', () => {
    expect(llmCallBudgetMs({ ...RETRY_MODEL, llmTimeoutMs: 5000, llmMaxRetries: 2 })).toBe(3 * 5000 + 1000 + 2000);
    expect(llmCallBudgetMs({ ...RETRY_MODEL, llmTimeoutMs: 60_000, llmMaxRetries: 5 })).toBe(6 * 60_000 + 31_000);
  });

  it('makes each CI outage outlast the stages\' schedule, and --full outlast INGEST\'s and production\'s LLM settings', () => {
    const ci = buildSchedule(false);
    const m = { ...RETRY_MODEL, llmTimeoutMs: 5000, llmMaxRetries: 2 };
    const stages = QUEUES.TRANSLATE.consumer.maxDeliver;
    const ingest = QUEUES.INGEST.consumer.maxDeliver;
    expect(ci.env).toEqual({ LLM_TIMEOUT_MS: '5000', LLM_MAX_RETRIES: '2' });
    expect(ci.pgDown.ms).toBeGreaterThan(deliveryBudgetMs(stages, 0, m));
    expect(ci.pgHung.ms).toBeGreaterThan(deliveryBudgetMs(stages, 0, m));
    expect(ci.llmDown.ms).toBeGreaterThan(deliveryBudgetMs(stages, llmCallBudgetMs({ ...m, llmTimeoutMs: 0 }), m));
    const full = buildSchedule(true);
    const prod = { ...RETRY_MODEL, llmTimeoutMs: 60_000, llmMaxRetries: 5 };
    expect(full.env).toEqual({ LLM_TIMEOUT_MS: '60000', LLM_MAX_RETRIES: '5' });
    expect(full.pgDown.ms).toBeGreaterThan(deliveryBudgetMs(ingest, 0, prod));
    expect(full.pgHung.ms).toBeGreaterThan(deliveryBudgetMs(ingest, 30_000, prod));
    expect(full.llmDown.ms).toBeGreaterThan(deliveryBudgetMs(stages, llmCallBudgetMs(prod), prod));
  });
});
