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
