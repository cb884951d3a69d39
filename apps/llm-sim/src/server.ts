import { setMaxListeners } from 'node:events';
import { messageText } from '@voc/prompts';
import { runService, sleep, type RunningService } from '@voc/service-kit';
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { generateAnswer, type SimAnswer } from './answers';
import { simConfigFromEnv, type SimConfig } from './config';
import { FaultInjector } from './faults';
import { classifyRequest, type ChatBody } from './kinds';
import { AccountLimits, type Throttled } from './limits';
import { PromptCache } from './prompt-cache';
import { arrearageBody, throttledBody } from './provider-errors';
import { SimStats, type SimStatsSnapshot } from './stats';
import { ChatTokenCounter, loadTokenizer, truncateToTokens } from './tokens';

export const SIM_MODELS = ['qwen-plus-latest', 'qwen3-max', 'qwen-turbo'] as const;

export interface LlmSim {
  port: number;
  /** The OpenAI base URL: http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  config: SimConfig;
  stats(): SimStatsSnapshot;
  /** Zeroes the stats and the account's windows. */
  resetStats(): void;
  /** Puts the account in arrears (every call 403 Arrearage) or out of it. */
  setArrearage(on: boolean): void;
  stop(): Promise<void>;
}

type ErrorType = 'invalid_request_error' | 'rate_limit_error' | 'server_error';

function sendError(res: Response, status: number, type: ErrorType, code: string, message: string): void {
  res.status(status).json({ error: { message, type, param: null, code } });
}

/**
 * Starts the simulator (contract C6) on runService, so it has /healthz,
 * /readyz, /metrics and SIGTERM handling like every service. Settings not
 * given take their defaults (main.ts reads them from LLM_SIM_*).
 */
export async function startLlmSim(overrides: Partial<SimConfig> = {}, opts: { handleSignals?: boolean } = {}): Promise<LlmSim> {
  const config: SimConfig = { ...simConfigFromEnv({}), ...overrides };
  const stats = new SimStats();
  const limits = new AccountLimits(config);
  const counter = new ChatTokenCounter();
  const promptCache = new PromptCache(config.cacheMinTokens);
  let arrearage = config.arrearage;
  let lastTokensAt = 0;
  loadTokenizer();
  const faults = new FaultInjector(config);
  const stopping = new AbortController();
  // Every pending answer listens on this one signal (and removes its listener when answered).
  setMaxListeners(0, stopping.signal);
  let sequence = 0;

  const service: RunningService = await runService({
    name: 'llm-sim',
    port: config.port,
    host: config.host,
    handleSignals: opts.handleSignals ?? false,
    start(ctx) {
      ctx.onShutdown('pending answers', () => stopping.abort(new Error('llm-sim stopping')));
      const app = ctx.app;

      // Counted on arrival, before the body is read: the request limits and
      // maxRequestsIn1s see every request, answered or not.
      const arrive = (_req: Request, res: Response, next: NextFunction) => {
        const now = performance.now();
        stats.arrival(now);
        res.locals.arrivedAt = now;
        res.locals.throttled = limits.arrive(now);
        next();
      };
      const throttle = (res: Response, t: Throttled) => {
        stats.rejected(t.cause);
        res.set('Retry-After', String(Math.ceil(t.retryAfterMs / 1000)));
        res.status(429).json(throttledBody(t.cause, t.message));
      };

      app.post('/v1/chat/completions', arrive, express.json({ limit: '20mb' }), async (req: Request, res: Response) => {
        const body = (req.body ?? {}) as ChatBody;
        const { kind, messages } = classifyRequest(body);
        stats.kind(kind);

        if (config.apiKey !== undefined && req.get('authorization') !== `Bearer ${config.apiKey}`) {
          return sendError(res, 401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
        }
        if (arrearage) {
          stats.arrears();
          return res.status(403).json(arrearageBody());
        }
        const throttled = res.locals.throttled as Throttled | undefined;
        if (throttled) return throttle(res, throttled);
        if (typeof body.model !== 'string' || !body.model) {
          return sendError(res, 400, 'invalid_request_error', 'invalid_value', 'you must provide a model parameter');
        }
        if (!messages) return sendError(res, 400, 'invalid_request_error', 'invalid_value', "'messages' must be a non-empty array of messages");
        if (body.stream === true) return sendError(res, 400, 'invalid_request_error', 'unsupported_value', 'llm-sim does not support streaming');
        const requested = body.max_tokens ?? body.max_completion_tokens;
        if (requested !== undefined && requested !== null && !(Number.isInteger(requested) && (requested as number) >= 1)) {
          return sendError(res, 400, 'invalid_request_error', 'invalid_value', "'max_tokens' must be a positive integer");
        }
        const maxTokens = typeof requested === 'number' ? requested : config.defaultMaxTokens;

        let answer: SimAnswer;
        try {
          answer = generateAnswer(kind, messages, config.seed);
        } catch (err) {
          return sendError(res, 400, 'invalid_request_error', 'invalid_value', err instanceof Error ? err.message : String(err));
        }

        // The counting rule: prompt tokens + the completion reserved, at arrival (not when the body was
        // parsed: on a busy machine parsing lags, and would bunch calls that arrived apart). Kept in
        // order, since bodies of different sizes finish parsing out of arrival order.
        const prompt = counter.prompt(messages.map((m) => ({ role: String(m.role), text: messageText(m) })));
        const at = (lastTokensAt = Math.max(lastTokensAt, res.locals.arrivedAt as number));
        const refused = limits.admitTokens(at, prompt.total + maxTokens);
        if (refused) return throttle(res, refused);
        stats.admitted(at, prompt.total + maxTokens);

        try {
          await sleep(faults.latencyMs(), stopping.signal);
        } catch {
          return sendError(res, 503, 'server_error', 'service_unavailable', 'llm-sim is shutting down');
        }
        const failure = faults.serverError();
        if (failure) {
          stats.serverError();
          res.status(failure.status).json(failure.body);
          return;
        }

        const shaped = faults.shape(answer);
        if (shaped.malformed) stats.malformed();
        let content = shaped.content;
        let finishReason: string = shaped.finishReason;
        let completionTokens = counter.count(content);
        if (completionTokens > maxTokens) {
          // Cut where the provider would stop generating.
          content = truncateToTokens(content, maxTokens);
          completionTokens = maxTokens;
          finishReason = 'length';
        }
        const cachedTokens = promptCache.cached(messages, prompt.system);
        stats.tokens(prompt.total, completionTokens, cachedTokens);
        res.json({
          id: `chatcmpl-sim-${(++sequence).toString(36)}${randomBytes(4).toString('hex')}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          system_fingerprint: 'llm-sim',
          choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason }],
          usage: {
            prompt_tokens: prompt.total,
            completion_tokens: completionTokens,
            total_tokens: prompt.total + completionTokens,
            prompt_tokens_details: { cached_tokens: cachedTokens },
          },
        });
      });

      // Tests and operators switch the account's arrears on and off.
      app.post('/admin/arrearage', express.json(), (req: Request, res: Response) => {
        const on = (req.body as { on?: unknown } | undefined)?.on;
        if (typeof on !== 'boolean') return sendError(res, 400, 'invalid_request_error', 'invalid_value', "body must be {\"on\": true|false}");
        arrearage = on;
        res.json({ arrearage });
      });

      app.get('/v1/models', (_req: Request, res: Response) => {
        res.json({ object: 'list', data: SIM_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'llm-sim' })) });
      });
      app.get('/stats', (_req: Request, res: Response) => {
        res.json(stats.snapshot());
      });
      app.post('/stats/reset', (_req: Request, res: Response) => {
        stats.reset();
        limits.clear();
        promptCache.clear();
        res.json(stats.snapshot());
      });

      // A body that is not JSON still counts as a request ('other') and gets a provider-like 400.
      app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
        if (err.type === 'entity.parse.failed' || err.type === 'entity.too.large') {
          stats.kind('other');
          return sendError(res, err.status ?? 400, 'invalid_request_error', 'invalid_json', `invalid request body: ${err.message}`);
        }
        next(err);
      });
    },
  });

  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    port: service.port,
    baseUrl: `http://${host}:${service.port}/v1`,
    config,
    stats: () => stats.snapshot(),
    resetStats: () => {
      stats.reset();
      limits.clear();
      promptCache.clear();
    },
    setArrearage: (on: boolean) => {
      arrearage = on;
    },
    stop: () => service.stop('stop'),
  };
}
