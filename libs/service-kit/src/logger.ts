import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout, one line per event, tagged with the service and node. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, node: process.env.NODE_NAME ?? 'local', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
