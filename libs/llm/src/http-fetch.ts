/**
 * The `fetch` the openai SDK sends with: one request over node:http(s) with
 * a keep-alive agent, the answer buffered into a `Response`. Node's own fetch
 * (undici) builds a Request, web streams and transferable AbortSignals for
 * every call; in bench:pipeline that cost the LLM services 10-15 % of their
 * CPU (insight-svc 0.28-0.30 -> 0.25-0.27 cores, three paired runs), CPU
 * that runs on the event loop the limiter's slots are dispatched from.
 *
 * What the SDK needs of a fetch, and nothing more: method, headers and a
 * string or byte body; an abort signal (rejects with an `AbortError`, which
 * the SDK reads as a user abort or its timeout); a network failure rejects
 * with a `TypeError` (the SDK's connection error). Redirects are not
 * followed (an LLM API does not send them; a 3xx is the SDK's error), and
 * no proxy is used (neither did Node's fetch). Compression is not asked for;
 * a compressed answer is decompressed anyway.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
} as const;

const DECODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: zlib.gunzipSync,
  'x-gzip': zlib.gunzipSync,
  deflate: zlib.inflateSync,
  br: zlib.brotliDecompressSync,
};

function headerRecord(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (Array.isArray(h)) for (const [k, v] of h as [string, string][]) out[k.toLowerCase()] = v;
  else if (typeof (h as Headers).forEach === 'function') (h as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
  else for (const [k, v] of Object.entries(h)) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  // Asked for nothing, so a server has no reason to compress (undici asked for gzip, deflate, br).
  delete out['accept-encoding'];
  return out;
}

function bodyOf(body: RequestInit['body']): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('httpFetch: only string and byte bodies are supported');
}

/** What http.IncomingMessage says of a buffered answer (also what the send thread posts back). */
export interface RawAnswer {
  status: number | undefined;
  statusText: string | undefined;
  /** Names and values alternating, as IncomingMessage.rawHeaders. */
  rawHeaders: string[];
  body: Buffer;
}

/** The buffered answer as a `Response`, decompressed; throws for a body it cannot decode or a status a Response cannot hold. */
export function responseOf(answer: RawAnswer, method: string | undefined): Response {
  const { rawHeaders } = answer;
  const headers = new Headers();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) headers.append(rawHeaders[i]!, rawHeaders[i + 1]!);
  let data: Buffer<ArrayBufferLike> = answer.body;
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  const decode = encoding ? DECODERS[encoding] : undefined;
  if (decode) {
    data = decode(data);
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  const status = answer.status ?? 502;
  const empty = status === 204 || status === 205 || status === 304 || method === 'HEAD';
  return new Response(empty ? null : data, { status, statusText: answer.statusText ?? '', headers });
}

/** What httpFetch and the send thread send: URL checked, headers flattened, body as a string or bytes. */
export interface RequestParts {
  url: URL & { protocol: 'http:' | 'https:' };
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

/** The parts of a request about to be sent, or a rejection: an AbortError if already aborted, a TypeError for what cannot be sent. */
export function requestOf(input: string | URL | Request, init: RequestInit): RequestParts | Promise<never> {
  if (init.signal?.aborted) return Promise.reject(abortError());
  try {
    return partsOf(input, init);
  } catch (err) {
    return Promise.reject(err);
  }
}

function partsOf(input: string | URL | Request, init: RequestInit): RequestParts {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`httpFetch: unsupported protocol ${url.protocol}`);
  return { url: url as URL & { protocol: 'http:' | 'https:' }, method: init.method ?? 'GET', headers: headerRecord(init.headers), body: bodyOf(init.body) };
}

export function abortError(): DOMException {
  return new DOMException('This operation was aborted', 'AbortError');
}

export function httpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const parts = requestOf(input, init);
  if (parts instanceof Promise) return parts;
  return new Promise<Response>((resolve, reject) => {
    const signal = init.signal ?? undefined;
    const { url, body } = parts;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (err: unknown) => settle(() => reject(new TypeError('fetch failed', { cause: err })));
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: parts.method, headers: parts.headers, agent: AGENTS[url.protocol] }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      // A socket closed before the body's end: the answer is incomplete.
      res.on('close', () => {
        if (!res.complete) fail(new Error('connection closed before the answer was complete'));
      });
      res.on('end', () => {
        let response: Response;
        try {
          response = responseOf({ status: res.statusCode, statusText: res.statusMessage, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }, init.method);
        } catch (err) {
          return fail(err);
        }
        settle(() => resolve(response));
      });
    });
    function onAbort() {
      settle(() => reject(abortError()));
      req.destroy();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', fail);
    req.end(body);
  });
}
