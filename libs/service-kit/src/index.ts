export { createLogger, type Logger } from './logger';
export { createMetricsRegistry } from './metrics';
export { mountHealthRoutes, runChecks, type ReadinessCheck } from './health';
export { Shutdown } from './shutdown';
export { main, runService, type RunServiceOptions, type RunningService, type ServiceContext } from './run-service';
export { sleep, jitter } from './time';
