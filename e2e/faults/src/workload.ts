/**
 * What each scenario sends: products of its own (fresh ASINs, so scenarios
 * on one stack never share a row), made of real reviews from the data file,
 * and the record of what the system accepted — the reviews it now owes, the
 * INGEST messages they came in (for the planned LLM calls), and which ones
 * are poison on purpose.
 */
import type { NatsConnection } from 'nats';
import type { DataReview, GatewayClient } from '@voc/e2e';
import { QUEUES } from '@voc/messaging';
import { reviewKey, sendUploads, type UploadChunk, type UploadOutcome } from '@voc/two-hosts/harness';
import type { AcceptedMessage } from './plan';

/** The gateway splits an upload into INGEST messages of at most 200 reviews; a chunk of at most this many is one message. */
export const MAX_REVIEWS_PER_MESSAGE = 200;

/** Every review of the data file once, products interleaved, so a slice mixes short, standard and VIP reviews. */
export class ReviewPool {
  private readonly reviews: DataReview[];
  private next = 0;

  constructor(byProduct: Map<string, DataReview[]>) {
    const lists = [...byProduct.values()].map((rs) => rs.filter((r) => r.body.trim()));
    this.reviews = [];
    for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) this.reviews.push(l[i]!);
    if (this.reviews.length === 0) throw new Error('the review data has no review with a body');
  }

  /** The next `n` reviews (cycling through the file), bodies trimmed as the gateway stores them. */
  take(n: number): DataReview[] {
    const out: DataReview[] = [];
    const ids = new Set<string>();
    for (let guard = 0; out.length < n && guard < n + this.reviews.length; guard++) {
      const r = this.reviews[this.next++ % this.reviews.length]!;
      if (ids.has(r.reviewId)) continue;
      ids.add(r.reviewId);
      out.push({ ...r, body: r.body.trim() });
    }
    return out;
  }
}

/** Product `index` (1–35) of scenario `scenario` (1–99): `F<scenario>P<index>FAULT`, an ASIN's 10 characters. */
export function scenarioAsin(scenario: number, index: number): string {
  if (!(Number.isInteger(scenario) && scenario >= 1 && scenario <= 99 && Number.isInteger(index) && index >= 1 && index <= 35)) {
    throw new Error(`scenarioAsin(${scenario}, ${index}): scenarios 1–99 with products 1–35 make an ASIN`);
  }
  return `F${String(scenario).padStart(2, '0')}P${index.toString(36).toUpperCase()}FAULT`;
}

export interface ProductSpec {
  asin: string;
  reviews: DataReview[];
  product?: { title?: string; bulletPoints?: string[] };
}

/** The bullet points a product gets when it has any (each product's own, so its translation is its own call). */
export function bulletsFor(asin: string): string[] {
  return [`Long battery life (${asin})`, 'Lightweight and easy to carry', 'Two-year warranty'];
}

export class Workload {
  readonly products: ProductSpec[] = [];
  /** "asin/reviewId" of every review the system accepted. */
  readonly accepted = new Set<string>();
  /** Accepted reviews that are poison on purpose (not expected to be stored). */
  readonly poison = new Set<string>();
  readonly messages: AcceptedMessage[] = [];
  /** Products whose bullet points were accepted and are storable (one translation call each). */
  readonly bullets = new Set<string>();
  /** Products whose bullet points were accepted but hold poison (the storable ones may be translated: one call). */
  readonly poisonBullets = new Set<string>();

  constructor(
    readonly scenario: number,
    private readonly pool: ReviewPool,
  ) {}

  get asins(): string[] {
    return this.products.map((p) => p.asin);
  }

  /** A new product of `n` reviews (with bullet points when asked). */
  addProduct(n: number, opts: { bullets?: boolean } = {}): ProductSpec {
    if (n > MAX_REVIEWS_PER_MESSAGE) throw new Error(`a scenario product is uploaded as one message: at most ${MAX_REVIEWS_PER_MESSAGE} reviews, got ${n}`);
    const asin = scenarioAsin(this.scenario, this.products.length + 1);
    const spec: ProductSpec = {
      asin,
      reviews: this.pool.take(n).map((r) => ({ ...r, asin })),
      ...(opts.bullets ? { product: { title: `Fault-test product ${asin}`, bulletPoints: bulletsFor(asin) } } : {}),
    };
    this.products.push(spec);
    return spec;
  }

  /** Records an accepted INGEST message: its reviews are owed; `poisonIds` among them are poison. */
  acceptMessage(asin: string, reviews: readonly DataReview[], product?: ProductSpec['product'], poisonIds: ReadonlySet<string> = new Set()): void {
    for (const r of reviews) {
      this.accepted.add(reviewKey({ asin, reviewId: r.reviewId }));
      if (poisonIds.has(r.reviewId)) this.poison.add(reviewKey({ asin, reviewId: r.reviewId }));
    }
    this.messages.push({ asin, reviews: reviews.filter((r) => !poisonIds.has(r.reviewId)) });
    if (product?.bulletPoints?.length) (storable(product.bulletPoints.join('')) ? this.bullets : this.poisonBullets).add(asin);
  }

  /** Uploads products through the gateway (one chunk each, `concurrency` at once, retryable statuses and refused connections retried: `sendUploads`). */
  async upload(gw: GatewayClient, specs: readonly ProductSpec[], concurrency = 4, onAccepted?: (c: UploadChunk) => void): Promise<UploadOutcome> {
    const chunks: UploadChunk[] = specs.map((s) => ({ asin: s.asin, reviews: s.reviews, ...(s.product ? { product: s.product } : {}) }));
    const out = await sendUploads(gw, chunks, concurrency, 120_000, {
      onAccepted: (c) => {
        this.acceptMessage(c.asin, c.reviews, c.product);
        onAccepted?.(c);
      },
    });
    if (out.failures.length) throw new Error(`uploads not accepted: ${out.failures.join('; ')}`);
    return out;
  }

  /**
   * Publishes an INGEST message straight to JetStream, as an older gateway
   * or another producer could: nothing validates it on the way.
   */
  async publishDirect(nc: NatsConnection, asin: string, reviews: readonly Record<string, unknown>[], product?: ProductSpec['product'], poisonIds: ReadonlySet<string> = new Set()): Promise<void> {
    const job = { uploadId: `faults-${asin}-${this.messages.length + 1}`, asin, ...(product ? { product } : {}), reviews };
    // JSON.stringify escapes a lone surrogate (\ud800) and NUL (\u0000): the message is valid JSON that decodes to them.
    await nc.jetstream().publish(QUEUES.INGEST.subject, new TextEncoder().encode(JSON.stringify(job)), { msgID: job.uploadId, expect: { streamName: QUEUES.INGEST.stream } });
    this.acceptMessage(asin, reviews as unknown as DataReview[], product, poisonIds);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text PostgreSQL can store: no NUL, no lone surrogate. */
export function storable(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}
