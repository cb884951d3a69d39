export { startLlmSim, SIM_MODELS, type LlmSim } from './server';
export { simConfigFromEnv, type SimConfig } from './config';
export { SimStats, SlidingWindowCounter, type SimStatsSnapshot } from './stats';
export { FaultInjector, malform, type MalformedVariant, type ShapedAnswer } from './faults';
export { generateAnswer, type SimAnswer } from './answers';
export { classifyRequest } from './kinds';
export { translationFingerprint, translationTag, simulatedTranslation, pseudoChinese } from './text';
export { estimateTokens } from './tokens';
