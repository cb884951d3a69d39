import { createServer, type Server } from 'node:http';
import { startLlmSim, type LlmSim } from '@voc/llm-sim';

/** Text that makes the provider refuse a request (HTTP 400, as Qwen's content inspection does). */
export const REFUSED_MARKER = 'FORBIDDEN-CONTENT-9f3';

/**
 * How the test provider answers:
 * - `ok`: llm-sim, well-formed answers;
 * - `malformed`: llm-sim with every structured answer malformed;
 * - `down`: 503 for everyone (the provider failing: an outage);
 * - `flaky`: every other request 503 (the client's own retries get through);
 * - `garbage`: 200 with prose instead of the asked-for JSON, every time (llm-sim's
 *   malformed answers are sometimes recoverable by the parsers, this never is).
 * In every mode but `down`, a request carrying REFUSED_MARKER gets a 400.
 */
export type LlmMode = 'ok' | 'malformed' | 'down' | 'flaky' | 'garbage';

export interface TestLlm {
  baseUrl: string;
  mode: LlmMode;
  /** Requests that reached either simulator (answered, well-formed or not). */
  answered(): number;
  refused: number;
  failed: number;
  stop(): Promise<void>;
}

/**
 * llm-sim (two of them: well-formed and malformed answers) behind a small
 * front that can also refuse, fail, or flap: the provider's faults under the
 * test's control, one behaviour at a time.
 */
export async function startTestLlm(): Promise<TestLlm> {
  process.env.LOG_LEVEL ??= 'warn';
  const base = { port: 0, host: '127.0.0.1', latencyMs: 5, jitterMs: 3, rpsLimit: 0 };
  const ok: LlmSim = await startLlmSim(base);
  const malformed: LlmSim = await startLlmSim({ ...base, malformedRate: 1 });
  let flap = 0;
  const llm: TestLlm & { server?: Server } = {
    baseUrl: '',
    mode: 'ok',
    answered: () => ok.stats().requests + malformed.stats().requests,
    refused: 0,
    failed: 0,
    async stop() {
      await new Promise<void>((r) => (llm.server ? llm.server.close(() => r()) : r()));
      llm.server?.closeAllConnections();
      await ok.stop();
      await malformed.stop();
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fail = (status: number, code: string, message: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message, type: status === 400 ? 'invalid_request_error' : 'server_error', code } }));
      };
      if (llm.mode === 'down' || (llm.mode === 'flaky' && flap++ % 2 === 0)) {
        llm.failed++;
        return fail(503, 'service_unavailable', 'The engine is currently overloaded, please try again later.');
      }
      if (body.includes(REFUSED_MARKER)) {
        llm.refused++;
        return fail(400, 'data_inspection_failed', 'Input data may contain inappropriate content.');
      }
      if (llm.mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            id: 'chatcmpl-garbage',
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: 'qwen-plus-latest',
            choices: [{ index: 0, message: { role: 'assistant', content: 'Sorry, I can only answer in prose today.' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
          }),
        );
      }
      const target = llm.mode === 'malformed' ? malformed : ok;
      fetch(`http://127.0.0.1:${target.port}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        ...(req.method === 'POST' ? { body } : {}),
      })
        .then(async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch((err: unknown) => fail(502, 'bad_gateway', String(err)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  llm.server = server;
  const addr = server.address();
  llm.baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/v1`;
  return llm;
}
