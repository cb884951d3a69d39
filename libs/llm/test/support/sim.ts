import { startLlmSim, type LlmSim, type SimConfig } from '@voc/llm-sim';

// The simulator logs through pino on stdout; keep test output readable.
process.env.LOG_LEVEL ??= 'warn';

/** The real simulator in this process on a free loopback port, fast unless told otherwise. */
export function startTestSim(overrides: Partial<SimConfig> = {}): Promise<LlmSim> {
  return startLlmSim({ port: 0, host: '127.0.0.1', latencyMs: 5, jitterMs: 5, ...overrides });
}
