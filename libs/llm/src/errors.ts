import { LlmError, type LlmCallContext } from '@voc/prompts';

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
  ) {
    super(message, context, options);
    this.name = 'LlmRequestError';
  }
}
