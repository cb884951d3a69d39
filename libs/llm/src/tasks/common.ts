import { MalformedAnswerError } from '@voc/prompts';
import { LlmRequestError } from '../errors';
import type { Priority } from '../limiter';

/** Options every task function takes. */
export interface TaskOptions {
  asin?: string;
  priority?: Priority;
  signal?: AbortSignal;
}

/** The request fields of a task's options, without undefined values (exactOptionalPropertyTypes-safe). */
export function requestOptions(opts: TaskOptions, defaultPriority: Priority = 'normal') {
  return {
    priority: opts.priority ?? defaultPriority,
    ...(opts.asin ? { asin: opts.asin } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

/**
 * Runs `call`, and once more if its answer was malformed: a fresh sample
 * usually fixes a formatting slip; a second slip is reported, not looped on.
 */
export async function withMalformedRetry<T>(call: () => Promise<T>, attempts = 2): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof MalformedAnswerError) || i >= attempts) throw err;
    }
  }
}

/**
 * The provider refused this input itself (400: e.g. Qwen's content
 * inspection, or a text too long): resending it unchanged cannot succeed,
 * but the other texts of its batch can go through without it.
 */
export function isInputRejected(err: unknown): err is LlmRequestError {
  return err instanceof LlmRequestError && err.status === 400;
}

/** Waits for every promise (no work left running unobserved), then rethrows the first failure. */
export async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
