/**
 * @voc/service-kit: what every process of the fleet shares: the logger, the
 * HTTP server with /healthz /readyz /metrics, ordered shutdown on SIGTERM.
 */
export { createLogger, type Logger } from './logger';
export type { ReadinessCheck } from './health';
export { main, runService, type RunServiceOptions, type RunningService, type ServiceContext } from './run-service';
export { sleep, jitter } from './time';
export { linkedSignal, type LinkedSignal } from './abort';
