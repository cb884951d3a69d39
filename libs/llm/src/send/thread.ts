import { Worker } from 'node:worker_threads';
import { abortError, requestOf, responseOf } from '../http-fetch';
import { SEND_THREAD_SOURCE } from './thread-source';
import { SendLateError, type SendWindow } from './window';

/** hrtime in ms: one monotonic clock for every thread of the process (performance.now() counts from each thread's own origin). */
const hrNow = (): number => Number(process.hrtime.bigint()) / 1e6;

interface Pending {
  resolve(r: Response): void;
  reject(err: unknown): void;
  method: string;
  onSent: ((lateMs: number) => void) | undefined;
  /** Stops listening to the caller's signal. */
  detach(): void;
}

type Reply =
  | { t: 'late'; id: number; lateMs: number }
  | { t: 'answer'; id: number; lateMs: number; status: number | undefined; statusText: string | undefined; rawHeaders: string[]; body: ArrayBuffer }
  | { t: 'failed'; id: number; message: string; code?: string };

/**
 * Sends each granted request at its slot's time from a thread of its own
 * (issue 12 item 4). The service's event loop runs long callbacks (Prisma's
 * results, LLM answers, NATS messages) and GC; a slot that falls due
 * meanwhile was reached after the limiter's 10-ms margin and dropped (7–15 %
 * of every service's slots in bench:pipeline). With the limiter handing
 * slots off ahead (handoffMs), the event loop prepares the request early and
 * this thread, which does nothing else, sends it on time.
 *
 * A fetch for the openai SDK like httpFetch (same request parts, same
 * Response), plus the send window. The thread starts on first use, holds
 * the process open only while requests are in it, and is started again if
 * it ever dies (its requests fail as connection errors, which the client
 * retries).
 */
export class SendThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** hrtime ms minus performance.now(): converts this thread's times for the send thread. */
  private readonly offset = hrNow() - performance.now();

  /** Requests sent or waiting in the thread. */
  get size(): number {
    return this.pending.size;
  }

  /** Like fetchInWindow, from the thread: `onSent` hears how long after sendAt the request left. */
  fetch(input: string | URL | Request, init: RequestInit, window: SendWindow, onSent?: (lateMs: number) => void): Promise<Response> {
    if (this.closed) return Promise.reject(new TypeError('fetch failed', { cause: new Error('send thread closed') }));
    const parts = requestOf(input, init);
    if (parts instanceof Promise) return parts;
    return new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      const id = this.nextId++;
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        this.worker?.postMessage({ t: 'abort', id });
        this.unrefIfIdle();
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, method: parts.method, onSent, detach: () => signal?.removeEventListener('abort', onAbort) });
      const worker = this.workerNow();
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({
        t: 'send',
        id,
        url: parts.url.href,
        method: parts.method,
        headers: parts.headers,
        body: parts.body,
        sendAt: window.sendAt + this.offset,
        sendBy: window.sendBy + this.offset,
      });
    });
  }

  /** Fails whatever is still in the thread and stops it. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('send thread closed'));
    await worker?.terminate();
  }

  /** Starts the thread now rather than on first use, so the first request does not wait for its start (tens of ms). */
  start(): void {
    this.workerNow();
  }

  private workerNow(): Worker {
    if (this.worker) return this.worker;
    // Small heaps: it holds requests and answers in flight, nothing else.
    const worker = new Worker(SEND_THREAD_SOURCE, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 } });
    worker.unref();
    worker.on('message', (m: Reply) => this.onReply(m));
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`send thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private onReply(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    p.detach();
    this.unrefIfIdle();
    if (m.t === 'late') return p.reject(new SendLateError(m.lateMs));
    if (m.t === 'failed') {
      const cause = Object.assign(new Error(m.message), m.code ? { code: m.code } : {});
      return p.reject(new TypeError('fetch failed', { cause }));
    }
    p.onSent?.(m.lateMs);
    try {
      p.resolve(responseOf({ status: m.status, statusText: m.statusText, rawHeaders: m.rawHeaders, body: Buffer.from(m.body) }, p.method));
    } catch (err) {
      p.reject(new TypeError('fetch failed', { cause: err }));
    }
  }

  private failAll(cause: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.detach();
      p.reject(new TypeError('fetch failed', { cause }));
    }
  }

  private unrefIfIdle(): void {
    if (this.pending.size === 0) this.worker?.unref();
  }
}
