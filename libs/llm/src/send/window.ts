import { sleep } from '@voc/service-kit';

/**
 * When a granted request may leave (performance.now() ms): not before
 * `sendAt`, not after `sendBy`. The limiter's grant says so (a slot handed
 * off ahead of its time, see @voc/rate-limiter's handoffMs); the margin
 * between the two is what the limiter's proof allows.
 */
export interface SendWindow {
  readonly sendAt: number;
  readonly sendBy: number;
}

/** The request was not sent: its sender got to it after the window closed. Acquire again; nothing reached the provider. */
export class SendLateError extends Error {
  override readonly name = 'SendLateError';

  constructor(readonly lateMs: number) {
    super(`not sent: ${lateMs.toFixed(1)} ms after its slot, past the limiter's margin`);
  }
}

/** The SendLateError in `err`'s cause chain (the openai SDK wraps what its fetch throws), if any. */
export function sendLateCause(err: unknown): SendLateError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof SendLateError) return e;
  }
  return undefined;
}

/** The key a request's init carries its window under, from the client to its fetch (the SDK passes fetchOptions through). */
export const SEND_WINDOW = 'vocSendWindow';

export function windowOf(init: RequestInit | undefined): SendWindow | undefined {
  return (init as { [SEND_WINDOW]?: SendWindow } | undefined)?.[SEND_WINDOW];
}

/**
 * `fetch` on this thread within `window`: waits for sendAt, refuses after
 * sendBy. What a process without a send thread does; its event loop's
 * lateness then decides how many slots it misses.
 */
export async function fetchInWindow(
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>,
  input: string | URL | Request,
  init: RequestInit,
  window: SendWindow,
  onSent?: (lateMs: number) => void,
): Promise<Response> {
  // A timer may fire up to a millisecond early: never send before sendAt.
  for (let wait = window.sendAt - performance.now(); wait > 0; wait = window.sendAt - performance.now()) {
    await sleep(Math.ceil(wait), init.signal ?? undefined);
  }
  const t = performance.now();
  const late = t - window.sendAt;
  if (t > window.sendBy) throw new SendLateError(late);
  onSent?.(late);
  return fetch(input, init);
}
