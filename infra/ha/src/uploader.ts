/**
 * The plug-ins: a client that uploads a chunk of reviews to the floating
 * address, waits 250 ms after every answer, and sends the same chunk again
 * until it is accepted (202), as a plug-in retries. What it records is what
 * the issue measures: when each upload was accepted, and so the longest
 * wait between two accepted uploads and how soon uploads are accepted again
 * after a host dies.
 */
import { toUpload, type DataReview } from '@voc/e2e';
import type { UploadChunk } from '@voc/two-hosts/harness';

export interface Acceptance {
  /** ms since the uploader started, when the 202 arrived. */
  at: number;
  chunk: UploadChunk;
}

/** One request: when it was sent and answered (ms since the uploader started), and how. */
export interface Attempt {
  sentAt: number;
  answeredAt: number;
  /** 'accepted', an HTTP status, 'timeout' or 'connection'. */
  outcome: string;
}

export interface UploaderStats {
  attempts: number;
  accepted: number;
  /** Answers other than 202, by status (or error kind), each retried. */
  refused: Record<string, number>;
}

/** Each gap between consecutive acceptances (and from `from` to the first one), ms: [start, end]. */
export function gaps(acceptedAt: readonly number[], from = 0): [number, number][] {
  const out: [number, number][] = [];
  let prev = from;
  for (const t of acceptedAt) {
    out.push([prev, t]);
    prev = t;
  }
  return out;
}

/** The longest gap between accepted uploads that overlaps [start, end] (ms), and when it began. */
export function longestGap(acceptedAt: readonly number[], start = 0, end = Infinity): { ms: number; from: number } {
  let best = { ms: 0, from: start };
  for (const [a, b] of gaps(acceptedAt)) {
    if (b < start || a > end) continue;
    if (b - a > best.ms) best = { ms: b - a, from: a };
  }
  return best;
}

/**
 * The requests of [from, to] (ms) as one line: `+1.2 timeout (3.0 s)`, times
 * relative to `origin`: where a long wait's seconds went.
 */
export function attemptTimeline(attempts: readonly Attempt[], from: number, to: number, origin: number): string {
  const s = (ms: number) => `${ms >= origin ? '+' : ''}${((ms - origin) / 1000).toFixed(1)}`;
  return attempts
    .filter((a) => a.answeredAt >= from && a.sentAt <= to)
    .map((a) => `${s(a.sentAt)} ${a.outcome === 'accepted' ? '202' : a.outcome} (${((a.answeredAt - a.sentAt) / 1000).toFixed(1)} s)`)
    .join(', ');
}

/** The first acceptance at or after `t` (ms), if any. */
export function firstAcceptedAfter(acceptedAt: readonly number[], t: number): number | undefined {
  return acceptedAt.find((x) => x >= t);
}

export class SteadyUploader {
  readonly acceptances: Acceptance[] = [];
  readonly stats: UploaderStats = { attempts: 0, accepted: 0, refused: {} };
  /** Every request, for the timeline of a wait (where its seconds went). */
  readonly attempts: Attempt[] = [];
  private readonly t0 = Date.now();
  private stopping = false;
  private sending = false;
  private done?: Promise<void>;
  /** Why the uploads stopped early (an answer no retry can turn into a 202). */
  error?: Error;
  private next = 0;

  constructor(
    private readonly url: string,
    private readonly apiKey: string,
    private readonly chunks: readonly UploadChunk[],
    private readonly everyMs = 250,
    private readonly timeoutMs = 5000,
  ) {}

  /** ms since the uploader started. */
  now(): number {
    return Date.now() - this.t0;
  }

  get acceptedAt(): number[] {
    return this.acceptances.map((a) => a.at);
  }

  /** Chunks not yet sent (the data ran out when 0). */
  get remaining(): number {
    return this.chunks.length - this.next;
  }

  /** Whether a chunk was sent and has not been accepted yet. */
  get inFlight(): boolean {
    return this.sending;
  }

  /**
   * The chunk sent but never answered with a 202 when the uploads stopped:
   * the gateway may still have stored it (an answer lost to a timeout), as a
   * plug-in's retry would find out.
   */
  get unacknowledged(): UploadChunk | undefined {
    return this.sending ? this.chunks[this.next] : undefined;
  }

  start(): void {
    this.done = this.loop().catch((e: unknown) => {
      this.error = e instanceof Error ? e : new Error(String(e));
    });
  }

  /** Finishes the chunk being sent (until it is accepted, at most `graceMs`), then stops. */
  async stop(graceMs = 60_000): Promise<void> {
    this.stopping = true;
    await Promise.race([this.done, new Promise((r) => setTimeout(r, graceMs))]);
  }

  private async loop(): Promise<void> {
    while (this.next < this.chunks.length) {
      const chunk = this.chunks[this.next]!;
      this.sending = true;
      for (;;) {
        this.stats.attempts++;
        const sentAt = this.now();
        const outcome = await this.send(chunk);
        this.attempts.push({ sentAt, answeredAt: this.now(), outcome });
        if (outcome === 'accepted') {
          this.stats.accepted++;
          this.acceptances.push({ at: this.now(), chunk });
          this.sending = false;
          break;
        }
        this.stats.refused[outcome] = (this.stats.refused[outcome] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, this.everyMs));
      }
      this.next++;
      if (this.stopping) return;
      await new Promise((r) => setTimeout(r, this.everyMs));
    }
  }

  private async send(chunk: UploadChunk): Promise<string> {
    try {
      const res = await fetch(`${this.url}/v1/products/${encodeURIComponent(chunk.asin)}/reviews`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reviews: chunk.reviews.map(toUpload) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer();
      if (res.status === 202) return 'accepted';
      // Another 4xx than 429 is the request's fault, not the deployment's: the run fails on it.
      if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new Error(`upload refused with ${res.status}: the request is wrong, not the deployment`);
      return String(res.status);
    } catch (e) {
      if ((e as Error).message.startsWith('upload refused')) throw e;
      return (e as Error).name === 'TimeoutError' ? 'timeout' : 'connection';
    }
  }
}

/**
 * The reviews of the `products` largest products (ties by asin, the same on
 * every run), each review once, in chunks of `chunkSize`, the products
 * interleaved as many plug-ins uploading at once would send them.
 */
export function steadyChunks(byProduct: Map<string, DataReview[]>, o: { products: number; chunkSize: number }): UploadChunk[] {
  const ranked = [...byProduct.entries()].sort((x, y) => y[1].length - x[1].length || x[0].localeCompare(y[0])).slice(0, o.products);
  if (ranked.length < o.products) throw new Error(`steadyChunks: the data has ${ranked.length} products, ${o.products} wanted`);
  const lists = ranked.map(([asin, reviews]) => {
    const seen = new Set<string>();
    const unique = reviews.filter((r) => (seen.has(r.reviewId) ? false : (seen.add(r.reviewId), true)));
    const chunks: UploadChunk[] = [];
    for (let i = 0; i < unique.length; i += o.chunkSize) chunks.push({ asin, reviews: unique.slice(i, i + o.chunkSize) });
    return chunks;
  });
  const out: UploadChunk[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}
