import { LlmError, type LlmCallContext } from '@voc/prompts';
import type { ThrottleCause } from './limiter';

/** Why a request got no usable HTTP answer. */
export type FailureReason =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection_error'
  | 'client_error'
  | 'aborted'
  | 'invalid_response';

/** The provider refused or failed the request (after the client's retries, or at once if not retryable). */
export class LlmRequestError extends LlmError {
  constructor(
    message: string,
    context: LlmCallContext,
    readonly reason: FailureReason,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
    /** For reason 'rate_limited': what the provider said was exceeded. */
    readonly throttle?: ThrottleCause,
  ) {
    super(message, context, options);
    this.name = 'LlmRequestError';
  }
}
