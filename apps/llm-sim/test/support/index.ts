import OpenAI from 'openai';
import { startLlmSim, type LlmSim, type SimConfig } from '../../src';

// The simulator logs through pino on stdout; keep test output readable.
process.env.LOG_LEVEL ??= 'warn';

/** A simulator on a free loopback port, answering at once unless told otherwise. */
export function startTestSim(overrides: Partial<SimConfig> = {}): Promise<LlmSim> {
  return startLlmSim({ port: 0, host: '127.0.0.1', latencyMs: 0, jitterMs: 0, ...overrides });
}

/** The real openai client, with its retries off so every answer is seen as sent. */
export function openaiFor(sim: LlmSim, apiKey = 'test-key'): OpenAI {
  return new OpenAI({ baseURL: sim.baseUrl, apiKey, maxRetries: 0, timeout: 20_000 });
}

export const MODEL = 'qwen-plus-latest';

export const REVIEWS = [
  'Total lemon. Stopped working after 2 days! I bought it for my kids as a Christmas gift and the battery died at home.',
  'Great value for the price. Easy to set up in my office, and it still works after six months of daily use.',
  'The color is nice but the size is smaller than expected. Customer service offered a refund quickly.',
  'I use it every night before bed. Quiet, comfortable, and the charging case lasts a week on the road.',
];
