import { sleep } from '@voc/service-kit';
import OpenAI from 'openai';
import type { Registry } from 'prom-client';
import { MalformedAnswerError, type ChatMessage, type LlmCallContext, type PromptKind } from '@voc/prompts';
import { LlmRequestError } from './errors';
import type { LlmLimiter, Priority } from './limiter';
import { createLlmMetrics, type LlmMetrics } from './metrics';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, classifyFailure, retryAfterMs, type ClassifiedFailure, type RetryPolicy } from './retry';

const SDK_TIMEOUT_MARGIN_MS = 5_000;
const TIMEOUT_FAILURE: ClassifiedFailure = { reason: 'timeout', status: undefined, retryable: true, headers: undefined };

/** What the client logs with: pino's Logger fits. */
export interface LlmLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One answered request's token usage (the lead's DB writer aggregates it per service, model and product). */
export interface LlmUsage {
  service: string;
  model: string;
  asin?: string;
  kind: PromptKind;
  promptTokens: number;
  completionTokens: number;
  /** False when the answer failed its parser (tokens were spent for nothing). */
  ok: boolean;
}

export interface LlmClientOptions {
  baseUrl: string;
  apiKey: string;
  model: string;
  limiter: LlmLimiter;
  /** The calling service, for metrics and usage. */
  service: string;
  registry?: Registry;
  log?: LlmLogger;
  /** Retries after the first attempt (429, 5xx, timeouts, connection errors). Default 5. */
  maxRetries?: number;
  /** Per-attempt timeout. Default 60 s. */
  timeoutMs?: number;
  onUsage?: (usage: LlmUsage) => void | Promise<void>;
  retryPolicy?: Partial<RetryPolicy>;
}

export interface ChatRequest {
  kind: PromptKind;
  messages: ChatMessage[];
  /** Limiter lane and retry eagerness. Default 'normal'. */
  priority?: Priority;
  asin?: string;
  signal?: AbortSignal;
  /** Ask for a JSON object answer (response_format json_object; the prompt must mention JSON). */
  jsonMode?: boolean;
  temperature?: number;
  maxTokens?: number;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ChatResult {
  content: string;
  finishReason: string;
  usage: TokenUsage;
  model: string;
  /** HTTP attempts this call took (1 = no retry). */
  attempts: number;
}

export interface ParsedChatResult<T> extends ChatResult {
  value: T;
}

export interface LlmClient {
  readonly model: string;
  readonly service: string;
  /** One chat completion, retried on transient failures; the raw answer. */
  chat(req: ChatRequest): Promise<ChatResult>;
  /**
   * Like chat, then `parse` the answer. A parser's MalformedAnswerError (or
   * an answer cut off by the token limit) is rethrown with the call's
   * context and counted as outcome "malformed"; it is not retried here: the
   * task functions decide what a malformed answer deserves.
   */
  chatParsed<T>(req: ChatRequest, parse: (content: string) => T): Promise<ParsedChatResult<T>>;
}

export function createLlmClient(opts: LlmClientOptions): LlmClient {
  return new OpenAiLlmClient(opts);
}

class OpenAiLlmClient implements LlmClient {
  readonly model: string;
  readonly service: string;
  private readonly openai: OpenAI;
  private readonly metrics: LlmMetrics;
  private readonly policy: RetryPolicy;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: LlmClientOptions) {
    this.model = opts.model;
    this.service = opts.service;
    this.maxRetries = opts.maxRetries ?? 5;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retryPolicy };
    this.metrics = createLlmMetrics(opts.registry);
    // The SDK's own retries are off: every attempt must pass the limiter first.
    this.openai = new OpenAI({ baseURL: opts.baseUrl, apiKey: opts.apiKey, maxRetries: 0, timeout: this.timeoutMs + SDK_TIMEOUT_MARGIN_MS });
  }

  chat(req: ChatRequest): Promise<ChatResult> {
    return this.run(req, undefined).then(({ value: _value, ...result }) => result);
  }

  chatParsed<T>(req: ChatRequest, parse: (content: string) => T): Promise<ParsedChatResult<T>> {
    return this.run(req, parse);
  }

  private async run<T>(req: ChatRequest, parse: ((content: string) => T) | undefined): Promise<ParsedChatResult<T>> {
    const priority = req.priority ?? 'normal';
    const labels = { service: this.service, model: this.model, kind: req.kind };
    const context = (attempt: number): LlmCallContext => ({
      kind: req.kind,
      service: this.service,
      model: this.model,
      attempt,
      ...(req.asin ? { asin: req.asin } : {}),
    });

    for (let attempt = 1; ; attempt++) {
      await this.opts.limiter.acquire({ priority, ...(req.signal ? { signal: req.signal } : {}) });
      const endTimer = this.metrics.duration.startTimer(labels);
      // The attempt's own deadline, told apart from the caller's abort by
      // which signal fired (the SDK's timeout error is not reliably
      // recognisable, e.g. across realms); the SDK's timeout is only a backstop.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal;
      let completion: OpenAI.Chat.Completions.ChatCompletion | undefined;
      let error: unknown;
      try {
        completion = await this.openai.chat.completions.create(
          {
            model: this.model,
            messages: req.messages,
            ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
            ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
            ...(req.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
          },
          { signal, timeout: this.timeoutMs + SDK_TIMEOUT_MARGIN_MS, maxRetries: 0 },
        );
      } catch (err) {
        error = err;
      } finally {
        clearTimeout(timer);
      }

      if (!completion) {
        const timedOut = deadline.signal.aborted && !req.signal?.aborted;
        const failure = timedOut ? TIMEOUT_FAILURE : classifyFailure(error);
        endTimer({ outcome: failure.reason });
        this.metrics.requests.inc({ ...labels, outcome: failure.reason });
        const ctx = context(attempt);
        const detail = error instanceof Error ? error.message : String(error);
        const message = `LLM request failed: ${failure.reason}${failure.status ? ` ${failure.status}` : ''}: ${detail}`;
        const requestError = new LlmRequestError(message, ctx, failure.reason, failure.status, failure.retryable, { cause: error });
        if (!failure.retryable || attempt > this.maxRetries) throw requestError;

        this.metrics.retries.inc({ ...labels, reason: failure.reason });
        if (failure.reason === 'rate_limited') {
          // Pause the whole fleet, not just this caller: every process shares the account limit.
          const pauseMs = retryAfterMs(failure.headers, this.policy);
          await this.opts.limiter.pause(pauseMs, `429 from ${this.model} (${req.kind})`);
        }
        const delay = backoffDelayMs(this.policy, attempt, priority);
        this.opts.log?.warn({ ...ctx, reason: failure.reason, status: failure.status, delayMs: delay }, 'LLM attempt failed; retrying');
        await sleep(delay, req.signal);
        continue;
      }

      const choice = completion.choices[0];
      const content = choice?.message?.content ?? '';
      const finishReason = choice?.finish_reason ?? 'unknown';
      const usage: TokenUsage = {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        totalTokens: completion.usage?.total_tokens ?? 0,
      };
      this.metrics.tokens.inc({ service: this.service, model: this.model, type: 'prompt' }, usage.promptTokens);
      this.metrics.tokens.inc({ service: this.service, model: this.model, type: 'completion' }, usage.completionTokens);

      let value: T | undefined;
      let malformed: MalformedAnswerError | undefined;
      if (parse) {
        try {
          if (finishReason === 'length') {
            throw new MalformedAnswerError({ kind: req.kind }, ['answer cut off by the token limit (finish_reason "length")'], content);
          }
          value = parse(content);
        } catch (err) {
          if (!(err instanceof MalformedAnswerError)) throw err;
          malformed = err.withContext(context(attempt));
        }
      }
      const outcome = malformed ? 'malformed' : 'ok';
      endTimer({ outcome });
      this.metrics.requests.inc({ ...labels, outcome });
      this.reportUsage({
        service: this.service,
        model: this.model,
        kind: req.kind,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        ok: !malformed,
        ...(req.asin ? { asin: req.asin } : {}),
      });
      if (malformed) throw malformed;
      return { content, finishReason, usage, model: completion.model || this.model, attempts: attempt, value: value as T };
    }
  }

  /** The usage hook must never fail the call it reports on; its errors are logged. */
  private reportUsage(usage: LlmUsage): void {
    const hook = this.opts.onUsage;
    if (!hook) return;
    const onError = (err: unknown) => this.opts.log?.error({ err, kind: usage.kind, asin: usage.asin }, 'onUsage hook failed');
    try {
      const result = hook(usage);
      if (result && typeof result.catch === 'function') result.catch(onError);
    } catch (err) {
      onError(err);
    }
  }
}
