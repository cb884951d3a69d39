import type { Logger } from '@voc/service-kit';

/**
 * Retries start-up work that a cold cluster may time out on (JetStream
 * provisioning while its meta leader is still being elected, or while many
 * processes provision at once): exponential backoff, then the last error.
 */
export async function retryStartup<T>(what: string, fn: () => Promise<T>, log: Logger, attempts = 6, baseMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw new Error(`${what}: failed after ${attempts} attempts: ${(err as Error).message}`, { cause: err });
      const delay = baseMs * 2 ** (i - 1) * (0.8 + 0.4 * Math.random());
      log.warn({ err: (err as Error).message, attempt: i, delayMs: Math.round(delay) }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Starts what `make` creates, a fresh one per attempt (a runner cannot be
 * started twice): binding a consumer asks JetStream, which answers 503
 * while its leaders are elected (a host coming back), and the process
 * waits that out instead of exiting to be restarted.
 */
export function startFresh<R extends { start(): Promise<void> }>(what: string, make: () => R, log: Logger, attempts = 6, baseMs = 500): Promise<R> {
  return retryStartup(
    what,
    async () => {
      const r = make();
      await r.start();
      return r;
    },
    log,
    attempts,
    baseMs,
  );
}
