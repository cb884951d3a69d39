/**
 * The fetch the openai SDK sends with (node:http, keep-alive): what the SDK
 * relies on of a fetch — the request as given, the answer's status, headers
 * and body, an AbortError on abort, a TypeError on a network failure or an
 * answer cut short — and one connection reused across calls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { httpFetch } from '../src/http-fetch';

describe('httpFetch', () => {
  let server: http.Server;
  let base: string;
  let connections = 0;
  let seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/json') {
          res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'abc', 'retry-after': '2' });
          res.end(JSON.stringify({ echo: body }));
        } else if (req.url === '/gzip') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(zlib.gzipSync(JSON.stringify({ zipped: true })));
        } else if (req.url === '/cut') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"partial":');
          setTimeout(() => res.socket?.destroy(), 20);
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 5000).unref();
        } else if (req.url === '/v1/chat/completions') {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '1500' });
          res.end(JSON.stringify({ error: { message: 'Requests rate limit exceeded', code: 'limit_requests', type: 'requests' } }));
        } else {
          res.writeHead(404);
          res.end();
        }
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen = [];
    connections = 0;
  });

  it('sends the method, headers and body as given, without asking for compression, and returns status, headers and body', async () => {
    const res = await httpFetch(`${base}/json`, { method: 'POST', headers: new Headers({ 'Content-Type': 'application/json', Authorization: 'Bearer k', 'Accept-Encoding': 'gzip' }), body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('abc');
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({ echo: '{"a":1}' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/json', body: '{"a":1}' });
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer k' });
    expect(seen[0]!.headers['accept-encoding']).toBeUndefined();
  });

  it('takes headers as a plain object or as pairs, and a byte body', async () => {
    await httpFetch(`${base}/json`, { method: 'POST', headers: { 'X-A': '1' }, body: new TextEncoder().encode('bytes') });
    await httpFetch(`${base}/json`, { method: 'POST', headers: [['X-B', '2']], body: 'pairs' });
    expect(seen.map((s) => [s.headers['x-a'] ?? s.headers['x-b'], s.body])).toEqual([
      ['1', 'bytes'],
      ['2', 'pairs'],
    ]);
  });

  it('decompresses an answer compressed anyway', async () => {
    const res = await httpFetch(`${base}/gzip`);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ zipped: true });
  });

  it('keeps one connection for calls one after another', async () => {
    // Earlier tests' idle connection closed first, so the calls below open their own.
    server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 100));
    connections = 0;
    for (let i = 0; i < 5; i++) await (await httpFetch(`${base}/json`, { method: 'POST', body: String(i) })).text();
    expect(seen).toHaveLength(5);
    expect(connections).toBe(1);
  });

  it('rejects with an AbortError when aborted before or during the call', async () => {
    const before = new AbortController();
    before.abort();
    await expect(httpFetch(`${base}/json`, { signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const during = new AbortController();
    const call = httpFetch(`${base}/slow`, { signal: during.signal });
    setTimeout(() => during.abort(), 50);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects with a TypeError for a refused connection and for an answer cut short', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(httpFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ name: 'TypeError', cause: { code: 'ECONNREFUSED' } });
    await expect(httpFetch(`${base}/cut`)).rejects.toBeInstanceOf(TypeError);
  });

  it('gives the openai SDK what it reads errors from: a 429 with its headers and body, a user abort, a connection error', async () => {
    const sdk = new OpenAI({ fetch: httpFetch, baseURL: `${base}/v1`, apiKey: 'k', maxRetries: 0 });
    const call = (opts: { signal?: AbortSignal } = {}) => sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, opts);
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ status: 429, code: 'limit_requests' });
    expect((err as APIError).headers?.get('retry-after-ms')).toBe('1500');
    const ac = new AbortController();
    ac.abort();
    await expect(call({ signal: ac.signal })).rejects.toBeInstanceOf(APIUserAbortError);
    const refused = new OpenAI({ fetch: httpFetch, baseURL: 'http://127.0.0.1:1/v1', apiKey: 'k', maxRetries: 0 });
    await expect(refused.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(APIConnectionError);
  });
});
