/**
 * Outage or the message's own failure, decided in one place for every stage
 * (the runner's dependency gate asks this, and the handlers ask it before
 * recording a failure on their rows).
 *
 * - postgres: unreachable, reset, timed out, pool exhausted, shutting down
 *   (`isDatabaseUnavailable` of @voc/db). A row it cannot store is NOT an
 *   outage: that is the review's own problem (ingest isolates it).
 * - nats: publish timeouts, no responders, a closed or reconnecting
 *   connection, JetStream without a leader (`isNatsUnavailable`).
 * - redis: the client's "connection closed" / retries exhausted. (With
 *   `maxRetriesPerRequest: null` commands wait for a reconnect instead of
 *   failing, and the limiter fails closed; the worker also watches the
 *   connection itself, see @voc/worker.)
 * - llm: an LlmRequestError still retryable after the client's own retries
 *   (5xx, 429, timeouts, connection errors: failing for everyone), or one
 *   that no request can pass (401/403: the key; 404: the model) until an
 *   operator fixes it. A 400 (the provider refusing this text) and a
 *   malformed answer are the review's own.
 */
import { isDatabaseUnavailable } from '@voc/db';
import { LlmRequestError } from '@voc/llm';
import { isNatsUnavailable } from '@voc/messaging';

export type Dependency = 'postgres' | 'nats' | 'redis' | 'llm';

export const DEPENDENCIES: readonly Dependency[] = ['postgres', 'nats', 'redis', 'llm'];

/** The dependency whose outage `err` shows, or undefined when the failure is the message's (or a review's) own. */
export function dependencyOf(err: unknown): Dependency | undefined {
  for (const e of causes(err)) {
    // An LLM error is decided here: its cause (a socket error, say) must not be read as the database's.
    if (e instanceof LlmRequestError) return llmIsDown(e) ? 'llm' : undefined;
    if (isRedisUnavailable(e)) return 'redis';
  }
  if (isNatsUnavailable(err)) return 'nats';
  if (isDatabaseUnavailable(err)) return 'postgres';
  return undefined;
}

/** The provider refused this text (HTTP 400, e.g. content inspection): resending it cannot succeed. */
export function isRefusal(err: unknown): err is LlmRequestError {
  return err instanceof LlmRequestError && err.status === 400;
}

function llmIsDown(e: LlmRequestError): boolean {
  if (e.retryable) return true;
  return e.status === 401 || e.status === 403 || e.status === 404;
}

function isRedisUnavailable(e: unknown): boolean {
  const { name, message } = e as { name?: unknown; message?: unknown };
  if (name === 'MaxRetriesPerRequestError') return true;
  return typeof message === 'string' && /^(Connection is closed\.|Stream isn't writeable)/.test(message);
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}
