/**
 * What the plug-ins upload, and when: real reviews of a few products, in
 * chunks as a plug-in sends them, in two waves. The first wave runs with both
 * hosts up; the second is sent while server B is down, and holds one whole
 * product that nobody has seen yet, so server A must learn it alone.
 */
import { toUpload, type DataReview, type GatewayClient } from '@voc/e2e';

export interface UploadChunk {
  asin: string;
  reviews: DataReview[];
  /** Product fields sent with the chunk, as a plug-in sends the listing it scraped. */
  product?: { title?: string; bulletPoints?: string[] };
}

export interface UploadPlan {
  asins: string[];
  /** Before B dies. */
  first: UploadChunk[];
  /** While B is down: the rest of the first products, the last product whole, and one chunk of the first wave again. */
  second: UploadChunk[];
  /** "asin/reviewId" of every review uploaded (the distinct reviews the database must end with). */
  keys: Set<string>;
}

export interface PlanOptions {
  products: number;
  /** Reviews per product at most (the first ones of the data file). */
  maxPerProduct: number;
  /** Share of each of the first products' reviews sent in the first wave. */
  firstShare: number;
  chunkSize: number;
}

export function reviewKey(r: { asin: string; reviewId: string }): string {
  return `${r.asin}/${r.reviewId}`;
}

function chunks(asin: string, reviews: DataReview[], size: number): UploadChunk[] {
  const out: UploadChunk[] = [];
  for (let i = 0; i < reviews.length; i += size) out.push({ asin, reviews: reviews.slice(i, i + size) });
  return out;
}

/** Interleaves the products' chunks, as many plug-ins uploading at once would. */
function interleave(lists: UploadChunk[][]): UploadChunk[] {
  const out: UploadChunk[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

/**
 * Picks the `products` largest products (ties by asin, so the plan is the
 * same on every run) and splits their reviews into the two waves.
 */
export function planUploads(byProduct: Map<string, DataReview[]>, o: PlanOptions): UploadPlan {
  if (o.products < 2) throw new Error(`planUploads: need at least 2 products (one only for the second wave), got ${o.products}`);
  if (!(o.firstShare > 0 && o.firstShare < 1)) throw new Error(`planUploads: firstShare must be in (0, 1), got ${o.firstShare}`);
  const ranked = [...byProduct.entries()].sort((x, y) => y[1].length - x[1].length || x[0].localeCompare(y[0]));
  if (ranked.length < o.products) throw new Error(`planUploads: the data has ${ranked.length} products, ${o.products} wanted`);
  const picked = ranked.slice(0, o.products).map(([asin, rs]) => ({ asin, reviews: dedupe(rs).slice(0, o.maxPerProduct) }));
  const early = picked.slice(0, -1);
  const late = picked[picked.length - 1]!;
  const first: UploadChunk[][] = [];
  const rest: UploadChunk[][] = [];
  for (const p of early) {
    const cut = Math.ceil(p.reviews.length * o.firstShare);
    first.push(chunks(p.asin, p.reviews.slice(0, cut), o.chunkSize));
    rest.push(chunks(p.asin, p.reviews.slice(cut), o.chunkSize));
  }
  rest.push(chunks(late.asin, late.reviews, o.chunkSize));
  const firstWave = interleave(first);
  const resent = firstWave[0];
  const keys = new Set(picked.flatMap((p) => p.reviews.map((r) => reviewKey(r))));
  return { asins: picked.map((p) => p.asin), first: firstWave, second: [...interleave(rest), ...(resent ? [resent] : [])], keys };
}

/** One review per reviewId: the data may repeat one, and the database would (rightly) keep one. */
function dedupe(reviews: DataReview[]): DataReview[] {
  const seen = new Set<string>();
  return reviews.filter((r) => (seen.has(r.reviewId) ? false : (seen.add(r.reviewId), true)));
}

export interface UploadOutcome {
  sent: number;
  accepted: number;
  /** The chunks that got their 202 (whose reviews the pipeline now owes). */
  acceptedChunks: UploadChunk[];
  /** Answers worth retrying (see `retryableStatus`, connection errors) that were retried. */
  retries: number;
  /** The same retries by answer: an HTTP status, or `connection`. */
  retriedBy: Record<string, number>;
  /** Chunks that were never accepted, with the last answer. */
  failures: string[];
}

/**
 * Whether a plug-in sends the same upload again on this status (re-sending is
 * safe: apps/gateway/README.md). 503 is the gateway's own "retry" (JetStream
 * did not acknowledge, e.g. while a stream leader moves to another node);
 * 502 and 504 come from the load balancer in front when the gateway went away
 * mid-request or HAProxy cut the session on marking it down (a health check
 * that timed out during that leader move: found by test:containers, where the
 * gateway had enqueued the three uploads HAProxy answered 502). Anything else
 * is the request's fault or a bug, and is not retried.
 */
export function retryableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/**
 * Sends the chunks through the gateway, `concurrency` at a time. A retryable
 * status (`retryableStatus`) or a refused connection is retried every second
 * for up to `retryForMs`, as the plug-in does; any other answer but 202 is a
 * failure. `onAccepted` hears of each 202 as it comes (a test can act mid-way
 * through the uploads).
 */
export async function sendUploads(
  gw: GatewayClient,
  chunksToSend: UploadChunk[],
  concurrency: number,
  retryForMs: number,
  opts: { onAccepted?: (chunk: UploadChunk) => void; retryEveryMs?: number } = {},
): Promise<UploadOutcome> {
  const retryEveryMs = opts.retryEveryMs ?? 1000;
  const out: UploadOutcome = { sent: chunksToSend.length, accepted: 0, acceptedChunks: [], retries: 0, retriedBy: {}, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < chunksToSend.length) {
      const c = chunksToSend[next++]!;
      const deadline = Date.now() + retryForMs;
      for (;;) {
        let answer: string;
        let kind: string;
        try {
          const res = await gw.upload(c.asin, c.reviews.map(toUpload), c.product);
          if (res.status === 202) {
            out.accepted++;
            out.acceptedChunks.push(c);
            opts.onAccepted?.(c);
            break;
          }
          answer = `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
          kind = String(res.status);
          if (!retryableStatus(res.status)) {
            out.failures.push(`${c.asin} (${c.reviews.length} reviews): ${answer}`);
            break;
          }
        } catch (e) {
          answer = (e as Error).message;
          kind = 'connection';
        }
        if (Date.now() > deadline) {
          out.failures.push(`${c.asin} (${c.reviews.length} reviews): still failing after ${retryForMs} ms: ${answer}`);
          break;
        }
        out.retries++;
        out.retriedBy[kind] = (out.retriedBy[kind] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, retryEveryMs));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** Two runs of `sendUploads` as one (a wave sent in two parts). */
export function mergeOutcomes(a: UploadOutcome, b: UploadOutcome): UploadOutcome {
  const retriedBy = { ...a.retriedBy };
  for (const [k, n] of Object.entries(b.retriedBy)) retriedBy[k] = (retriedBy[k] ?? 0) + n;
  return {
    sent: a.sent + b.sent,
    accepted: a.accepted + b.accepted,
    acceptedChunks: [...a.acceptedChunks, ...b.acceptedChunks],
    retries: a.retries + b.retries,
    retriedBy,
    failures: [...a.failures, ...b.failures],
  };
}
