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
import { SimStats, SlidingWindowCounter, type SimStatsSnapshot } from './stats';
import { estimatePromptTokens, estimateTokens } from './tokens';

export const SIM_MODELS = ['qwen-plus-latest', 'qwen3-max', 'qwen-turbo'] as const;

export interface LlmSim {
  port: number;
  /** The OpenAI base URL: http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  config: SimConfig;
  stats(): SimStatsSnapshot;
  resetStats(): void;
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
  const accountWindow = new SlidingWindowCounter(1000);
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

      // Counted on arrival, before the body is read: the account limit and
      // maxRequestsIn1s see every request, answered or not.
      const arrive = (_req: Request, res: Response, next: NextFunction) => {
        const now = performance.now();
        stats.arrival(now);
        const inWindow = accountWindow.record(now);
        res.locals.overLimit = config.rpsLimit > 0 && inWindow > config.rpsLimit;
        next();
      };

      app.post('/v1/chat/completions', arrive, express.json({ limit: '20mb' }), async (req: Request, res: Response) => {
        const body = (req.body ?? {}) as ChatBody;
        const { kind, messages } = classifyRequest(body);
        stats.kind(kind);

        if (config.apiKey !== undefined && req.get('authorization') !== `Bearer ${config.apiKey}`) {
          return sendError(res, 401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
        }
        if (res.locals.overLimit) {
          stats.rejected();
          res.set('Retry-After', '1');
          return sendError(res, 429, 'rate_limit_error', 'rate_limit_exceeded', `Rate limit reached: ${config.rpsLimit} requests per second. Please try again in 1s.`);
        }
        if (typeof body.model !== 'string' || !body.model) {
          return sendError(res, 400, 'invalid_request_error', 'invalid_value', 'you must provide a model parameter');
        }
        if (!messages) return sendError(res, 400, 'invalid_request_error', 'invalid_value', "'messages' must be a non-empty array of messages");
        if (body.stream === true) return sendError(res, 400, 'invalid_request_error', 'unsupported_value', 'llm-sim does not support streaming');

        let answer: SimAnswer;
        try {
          answer = generateAnswer(kind, messages, config.seed);
        } catch (err) {
          return sendError(res, 400, 'invalid_request_error', 'invalid_value', err instanceof Error ? err.message : String(err));
        }

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
        const promptTokens = estimatePromptTokens(messages.map(messageText));
        const completionTokens = estimateTokens(shaped.content);
        stats.tokens(promptTokens, completionTokens);
        res.json({
          id: `chatcmpl-sim-${(++sequence).toString(36)}${randomBytes(4).toString('hex')}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          system_fingerprint: 'llm-sim',
          choices: [{ index: 0, message: { role: 'assistant', content: shaped.content, refusal: null }, logprobs: null, finish_reason: shaped.finishReason }],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        });
      });

      app.get('/v1/models', (_req: Request, res: Response) => {
        res.json({ object: 'list', data: SIM_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'llm-sim' })) });
      });
      app.get('/stats', (_req: Request, res: Response) => {
        res.json(stats.snapshot());
      });
      app.post('/stats/reset', (_req: Request, res: Response) => {
        stats.reset();
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
    resetStats: () => stats.reset(),
    stop: () => service.stop('stop'),
  };
}
