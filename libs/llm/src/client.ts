import { setMaxListeners } from 'node:events';
import { linkedSignal, sleep } from '@voc/service-kit';
import OpenAI, { APIError } from 'openai';
import type { Registry } from 'prom-client';
import { MalformedAnswerError, type ChatMessage, type LlmCallContext, type PromptKind } from '@voc/prompts';
import type { CallSlots } from './concurrency';
import { LlmRequestError } from './errors';
import { httpFetch } from './http-fetch';
import { fetchInWindow, SEND_WINDOW, sendLateCause, windowOf, type SendThread, type SendWindow } from './send';
import type { LlmLimiter, Priority, ThrottleCause } from './limiter';
import { createLlmMetrics, type LlmMetrics } from './metrics';
import { costOf, type PriceTable } from './pricing';
import { DEFAULT_RETRY_POLICY, backoffDelayMs, classifyFailure, retryAfterMs, type ClassifiedFailure, type RetryPolicy } from './retry';
import { isAccountRefusal, throttleCause } from './throttle';
import { estimatePromptTokens } from './tokens/estimate';
import { defaultMaxTokens } from './tokens/max-tokens';

const SDK_TIMEOUT_MARGIN_MS = 5_000;
const DEFAULT_HALT_PROBE_MS = 60_000;
const TIMEOUT_FAILURE: ClassifiedFailure = { reason: 'timeout', status: undefined, retryable: true, headers: undefined };

/** What the client logs with: pino's Logger fits. */
export interface LlmLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One answered request's token usage (the usage recorder aggregates it per service, model, stage, product and day). */
export interface LlmUsage {
  service: string;
  model: string;
  asin?: string;
  /** The prompt kind: the stage the tokens were spent on (learning done by insight-svc is still 'learning'). */
  kind: PromptKind;
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens the provider served from its context cache (`prompt_tokens_details.cached_tokens`; 0 when not reported). */
  cachedTokens: number;
  /** The max_tokens sent: with promptTokens, what the provider counted against the token limit. */
  maxTokens: number;
  /** From LLM_PRICES (per million tokens, CNY); 0 for a model without a price. */
  cost: number;
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
  /** Per-model prices for the cost in usage and metrics (LLM_PRICES). */
  prices?: PriceTable;
  /** While the account refuses calls (403 arrears), one probe call fleet-wide per this interval. Default 60 s. */
  haltProbeEveryMs?: number;
  /**
   * The process's self-sized share of open calls (issue 12 item 1): each
   * attempt holds a slot from before its limiter wait until it ends. Without
   * it, calls are bounded only by their callers (tests, benches).
   */
  slots?: CallSlots;
  /**
   * The process's send thread (LLM_SEND_THREAD): requests leave from it at
   * their grant's sendAt. Without it they wait for sendAt on this thread.
   */
  sendThread?: SendThread;
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
  /** The max_tokens sent (and reserved). Default: the kind's (tokens/max-tokens.ts). */
  maxTokens?: number;
  /** The limiter lane of a normal call. Default: the kind's stage (translate, insight, theme). */
  lane?: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
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

/** The limiter lane of a kind: the stage's share of the budget (learning is vip and goes first anyway). */
function laneOf(kind: PromptKind): string | undefined {
  switch (kind) {
    case 'translate_single':
    case 'translate_batch':
      return 'translate';
    case 'insight':
    case 'theme':
      return kind;
    default:
      return undefined;
  }
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
  private readonly slots: CallSlots | undefined;

  constructor(private readonly opts: LlmClientOptions) {
    this.model = opts.model;
    this.service = opts.service;
    this.maxRetries = opts.maxRetries ?? 5;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.slots = opts.slots;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retryPolicy };
    this.metrics = createLlmMetrics(opts.registry);
    const sender = opts.sendThread;
    const sent = (lateMs: number) => this.metrics.sendLateness.observe({ service: this.service, model: this.model }, lateMs / 1000);
    const send = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
      const window = windowOf(init);
      if (!window) return httpFetch(input, init);
      return sender ? sender.fetch(input, init, window, sent) : fetchInWindow(httpFetch, input, init, window, sent);
    };
    // The SDK's own retries are off: every attempt must pass the limiter first.
    this.openai = new OpenAI({ fetch: send, baseURL: opts.baseUrl, apiKey: opts.apiKey, maxRetries: 0, timeout: this.timeoutMs + SDK_TIMEOUT_MARGIN_MS });
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
    // The counting rule: the provider counts prompt + max_tokens at arrival; reserve that, settle with its prompt count.
    const maxTokens = req.maxTokens ?? defaultMaxTokens(req.kind);
    const reserved = estimatePromptTokens(req.messages) + maxTokens;
    const lane = req.lane ?? laneOf(req.kind);
    // A message's calls (up to *_PARALLEL_SIZE of them) share its signal, each attempt and limiter wait
    // listening on it: many listeners are expected there, not a leak.
    if (req.signal) setMaxListeners(0, req.signal);

    for (let attempt = 1; ; ) {
      // A slot of the process's self-sized share first (CallSlots), held for the attempt and its back-off.
      const release = this.slots ? await this.slots.acquire(priority, req.signal, req.asin) : undefined;
      try {
        const grant = await this.granted(() => this.opts.limiter.acquire({ priority, tokens: reserved, ...(lane ? { lane } : {}), ...(req.signal ? { signal: req.signal } : {}) }));
        const endTimer = this.metrics.duration.startTimer(labels);
        // A slot handed off ahead (limiter handoffMs) leaves at its time, from the send thread if there is one.
        const window: SendWindow | undefined = grant.sendAt !== undefined && grant.sendBy !== undefined ? { sendAt: grant.sendAt, sendBy: grant.sendBy } : undefined;
        const ahead = window ? Math.max(0, Math.ceil(window.sendAt - performance.now())) : 0;
        // The attempt's own deadline, told apart from the caller's abort by
        // which signal fired (the SDK's timeout error is not reliably
        // recognisable, e.g. across realms); the SDK's timeout is only a backstop.
        const deadline = new AbortController();
        const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs + ahead);
        const linked = linkedSignal([req.signal, deadline.signal]);
        let completion: OpenAI.Chat.Completions.ChatCompletion | undefined;
        let error: unknown;
        try {
          completion = await this.openai.chat.completions.create(
            {
              model: this.model,
              messages: req.messages,
              max_tokens: maxTokens,
              ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
              ...(req.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
            },
            {
              signal: linked.signal,
              timeout: this.timeoutMs + ahead + SDK_TIMEOUT_MARGIN_MS,
              maxRetries: 0,
              // Passed through to `send` as part of its RequestInit.
              ...(window ? { fetchOptions: { [SEND_WINDOW]: window } as unknown as OpenAI.RequestOptions['fetchOptions'] } : {}),
            },
          );
        } catch (err) {
          error = err;
        } finally {
          clearTimeout(timer);
          linked.dispose();
        }

        const missed = completion ? undefined : sendLateCause(error);
        if (missed) {
          // Not sent: nothing reached the provider. The slot counts as dropped late; acquire again, no retry spent.
          if (grant.missed) grant.missed(missed.lateMs);
          else grant.cancel();
          this.metrics.sendMissed.inc({ service: this.service, model: this.model });
          continue;
        }
        if (!completion) {
          const timedOut = deadline.signal.aborted && !req.signal?.aborted;
          const failure = timedOut ? TIMEOUT_FAILURE : classifyFailure(error);
          const ctx = context(attempt);
          if (isAccountRefusal(error)) {
            grant.settle(0);
            endTimer({ outcome: 'account_refused' });
            this.metrics.requests.inc({ ...labels, outcome: 'account_refused' });
            // Waits for the next grant without spending a retry: no work fails because the account is blocked.
            await this.haltFleet(error, failure.status, grant.probe, ctx);
            continue;
          }
          // A refused call (429) counted no tokens; any other failure may have been counted whole.
          grant.settle(failure.reason === 'rate_limited' ? 0 : reserved);
          endTimer({ outcome: failure.reason });
          this.metrics.requests.inc({ ...labels, outcome: failure.reason });
          const cause: ThrottleCause | undefined = failure.reason === 'rate_limited' ? throttleCause(error) : undefined;
          const detail = error instanceof Error ? error.message : String(error);
          const message = `LLM request failed: ${failure.reason}${failure.status ? ` ${failure.status}` : ''}${cause ? ` (${cause})` : ''}: ${detail}`;
          const requestError = new LlmRequestError(message, ctx, failure.reason, failure.status, failure.retryable, { cause: error }, cause);
          if (!failure.retryable || attempt > this.maxRetries) throw requestError;

          this.metrics.retries.inc({ ...labels, reason: failure.reason });
          if (cause) await this.pauseFleet(cause, failure.headers, req.kind);
          const delay = backoffDelayMs(this.policy, attempt, priority);
          this.opts.log?.warn({ ...ctx, reason: failure.reason, cause, status: failure.status, delayMs: delay }, 'LLM attempt failed; retrying');
          attempt++;
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
          cachedTokens: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
        };
        // What the provider counted: its prompt count + the max_tokens sent (the estimate when it reports none).
        grant.settle(completion.usage ? usage.promptTokens + maxTokens : reserved);
        if (grant.probe) await this.resumeAfterProbe(context(attempt));
        const cost = costOf(this.opts.prices ?? {}, this.model, usage);
        this.metrics.recordUsage({ service: this.service, model: this.model, kind: req.kind }, usage, cost);

        let value: T | undefined;
        let malformed: MalformedAnswerError | undefined;
        if (parse) {
          try {
            if (finishReason === 'length') {
              throw new MalformedAnswerError({ kind: req.kind }, [`answer cut off by the token limit (finish_reason "length", max_tokens ${maxTokens})`], content);
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
          cachedTokens: usage.cachedTokens,
          maxTokens,
          cost,
          ok: !malformed,
          ...(req.asin ? { asin: req.asin } : {}),
        });
        if (malformed) throw malformed;
        return { content, finishReason, usage, model: completion.model || this.model, attempts: attempt, value: value as T };
      } finally {
        release?.();
      }
    }
  }

  /** Waits for the limiter's grant, telling the call slots how many calls wait there (their sizing signal). */
  private async granted<G>(acquire: () => Promise<G>): Promise<G> {
    const slots = this.slots;
    if (!slots) return acquire();
    slots.enterLimiter();
    let ok = false;
    try {
      const grant = await acquire();
      ok = true;
      return grant;
    } finally {
      slots.leaveLimiter(ok);
    }
  }

  /**
   * Arrears or an exhausted quota: no retry can succeed until someone acts. Stops the whole fleet (the
   * limiter then lets one probe through per interval) with an error log and a metric.
   */
  private async haltFleet(error: unknown, status: number | undefined, probe: boolean, ctx: LlmCallContext): Promise<void> {
    this.metrics.halts.inc({ service: this.service, model: this.model });
    const code = error instanceof APIError && typeof error.code === 'string' ? ` ${error.code}` : '';
    const reason = `${status ?? 403}${code} from ${this.model}: ${error instanceof Error ? error.message : String(error)}`;
    this.opts.log?.error({ ...ctx, status, probe }, `LLM account refused the call; halting the fleet's LLM work until a probe succeeds or an operator resumes it (${reason})`);
    await this.opts.limiter.halt(reason, { probeEveryMs: this.opts.haltProbeEveryMs ?? DEFAULT_HALT_PROBE_MS });
  }

  /** A 429: pauses the whole fleet, not just this caller, and slows the budget the provider named. */
  private async pauseFleet(cause: ThrottleCause, headers: Headers | undefined, kind: PromptKind): Promise<void> {
    this.metrics.throttled.inc({ service: this.service, model: this.model, cause });
    await this.opts.limiter.pause(retryAfterMs(headers, this.policy), { reason: `429 ${cause} from ${this.model} (${kind})`, cause });
  }

  /** The fleet's probe got an answer: the account works again. */
  private async resumeAfterProbe(ctx: LlmCallContext): Promise<void> {
    try {
      await this.opts.limiter.resume(`probe call succeeded (${ctx.kind}, ${this.service})`);
      this.opts.log?.warn({ ...ctx }, 'LLM probe call succeeded; resumed the fleet');
    } catch (err) {
      // The limiter probes again at its next interval; this answer is still good.
      this.opts.log?.error({ ...ctx, err }, 'could not resume the LLM fleet after a successful probe');
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
