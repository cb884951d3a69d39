/**
 * The send thread's program (plain CommonJS, run with `eval: true` so a
 * bundled service needs no extra file). It does one thing: keep each
 * request until its time, send it, and post the buffered answer back.
 *
 * Messages in:  { t: 'send', id, url, method, headers, body, sendAt, sendBy } (times: hrtime ms)
 *               { t: 'abort', id }
 * Messages out: { t: 'late', id, lateMs }
 *               { t: 'answer', id, lateMs, status, statusText, rawHeaders, body } (body: an ArrayBuffer, transferred)
 *               { t: 'failed', id, message, code }
 */
export const SEND_THREAD_SOURCE = String.raw`
'use strict';
const http = require('node:http');
const https = require('node:https');
const { parentPort } = require('node:worker_threads');

const AGENTS = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
const open = new Map();
const hrNow = () => Number(process.hrtime.bigint()) / 1e6;

function finish(id, message, transfer) {
  if (!open.delete(id)) return;
  parentPort.postMessage(message, transfer);
}

function fail(id, err) {
  finish(id, { t: 'failed', id, message: err && err.message ? err.message : String(err), code: err && err.code });
}

function go(m, entry) {
  entry.timer = undefined;
  const t = hrNow();
  // A timer may fire up to a millisecond early: never send before sendAt.
  if (t < m.sendAt) {
    entry.timer = setTimeout(go, Math.ceil(m.sendAt - t), m, entry);
    return;
  }
  if (t > m.sendBy) return finish(m.id, { t: 'late', id: m.id, lateMs: t - m.sendAt });
  const lateMs = t - m.sendAt;
  let url;
  try {
    url = new URL(m.url);
  } catch (err) {
    return fail(m.id, err);
  }
  const mod = url.protocol === 'https:' ? https : http;
  const req = mod.request(url, { method: m.method, headers: m.headers, agent: AGENTS[url.protocol] }, (res) => {
    const chunks = [];
    let size = 0;
    res.on('data', (c) => {
      chunks.push(c);
      size += c.length;
    });
    res.on('error', (err) => fail(m.id, err));
    res.on('close', () => {
      if (!res.complete) fail(m.id, new Error('connection closed before the answer was complete'));
    });
    res.on('end', () => {
      // A fresh buffer of its own: transferring a pooled Buffer's memory would detach the pool.
      const body = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.length;
      }
      finish(m.id, { t: 'answer', id: m.id, lateMs, status: res.statusCode, statusText: res.statusMessage, rawHeaders: res.rawHeaders, body: body.buffer }, [body.buffer]);
    });
  });
  entry.req = req;
  req.on('error', (err) => fail(m.id, err));
  req.end(m.body);
}

parentPort.on('message', (m) => {
  if (m.t === 'send') {
    const entry = { timer: undefined, req: undefined };
    open.set(m.id, entry);
    go(m, entry);
  } else if (m.t === 'abort') {
    const entry = open.get(m.id);
    if (!entry) return;
    open.delete(m.id);
    clearTimeout(entry.timer);
    if (entry.req) entry.req.destroy();
  }
});
`;
