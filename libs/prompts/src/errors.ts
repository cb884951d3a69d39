import type { PromptKind } from './kinds';

/** Where an LLM call happened: enough to find it in logs and metrics. */
export interface LlmCallContext {
  kind: PromptKind;
  service?: string;
  model?: string;
  asin?: string;
  /** 1-based attempt number of the call that failed. */
  attempt?: number;
}

function describe(ctx: LlmCallContext): string {
  const parts = [`kind=${ctx.kind}`];
  if (ctx.asin) parts.push(`asin=${ctx.asin}`);
  if (ctx.model) parts.push(`model=${ctx.model}`);
  if (ctx.service) parts.push(`service=${ctx.service}`);
  if (ctx.attempt !== undefined) parts.push(`attempt=${ctx.attempt}`);
  return parts.join(' ');
}

/** Base of every error of an LLM call (the client's LlmRequestError, the parsers' MalformedAnswerError). */
export class LlmError extends Error {
  constructor(
    message: string,
    readonly context: LlmCallContext,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${describe(context)})`, options);
    this.name = 'LlmError';
  }
}

/** The answer arrived but does not have the shape the prompt asked for. */
export class MalformedAnswerError extends LlmError {
  /** The start of the offending answer, for logs. */
  readonly answerExcerpt: string;

  constructor(
    context: LlmCallContext,
    readonly details: string[],
    answer: string,
  ) {
    super(`malformed ${context.kind} answer: ${details.slice(0, 5).join('; ')}${details.length > 5 ? ` (+${details.length - 5} more)` : ''}`, context);
    this.name = 'MalformedAnswerError';
    this.answerExcerpt = answer.length > 300 ? `${answer.slice(0, 300)}…` : answer;
  }

  /** The same error with the call's context (the parser only knows the kind). */
  withContext(extra: Partial<LlmCallContext>): MalformedAnswerError {
    return new MalformedAnswerError({ ...this.context, ...extra }, this.details, this.answerExcerpt);
  }
}
