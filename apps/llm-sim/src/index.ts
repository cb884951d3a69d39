/**
 * @voc/llm-sim as a test helper: the simulator in-process on a free port,
 * its stats (or a client of them when it runs as its own process), and the
 * tag every simulated translation carries. Its settings
 * schema (LLM_SIM_*) is the separate entry point `@voc/llm-sim/config`.
 */
export { startLlmSim, type LlmSim } from './server';
export { SimClient } from './client';
export type { SimConfig } from './config';
export type { SimStatsSnapshot } from './stats';
export { translationTag } from './text';
export { countTokens, countChatTokens } from './tokens';
export { simulatedAnswer } from './answers';
