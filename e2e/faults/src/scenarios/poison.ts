/**
 * Poison: reviews and product fields PostgreSQL cannot store (NUL, a lone
 * surrogate, an integer over INTEGER's range), beside good ones. Through the
 * gateway (which may refuse them with a 400: the plug-in then sends the good
 * part again) and straight onto INGEST, as an older gateway or another
 * producer could, so ingest's own isolation is exercised either way. Every
 * good review must be analysed, every poison one rejected with a reason (or
 * stored), and nothing may reach the DLQ.
 */
import { toUpload, type DataReview } from '@voc/e2e';
import type { ScenarioContext, ScenarioDef } from '../scenario';
import { bulletsFor, type ProductSpec } from '../workload';

/** Each kind of unstorable review, made from a good one. */
export const POISON_REVIEWS: { kind: string; make: (r: DataReview) => DataReview }[] = [
  { kind: 'NUL in the body', make: (r) => ({ ...r, reviewId: `${r.reviewId}-nul`, body: `${r.body} \u0000 hidden` }) },
  { kind: 'lone surrogate in the body', make: (r) => ({ ...r, reviewId: `${r.reviewId}-surrogate`, body: `${r.body} \ud83d broken emoji` }) },
  { kind: 'helpfulVotes 3,000,000,000 (over INTEGER)', make: (r) => ({ ...r, reviewId: `${r.reviewId}-votes`, helpfulVotes: 3_000_000_000 }) },
  { kind: 'NUL in the title', make: (r) => ({ ...r, reviewId: `${r.reviewId}-title`, title: 'Great\u0000product' }) },
];

/** Product fields the database cannot store, with storable ones beside them. */
export function poisonProduct(asin: string): NonNullable<ProductSpec['product']> {
  return { title: `Poison\u0000title ${asin}`, bulletPoints: [bulletsFor(asin)[0]!, 'NUL\u0000in a bullet', 'a lone \ud800 surrogate'] };
}

const GOOD = 40;

function withPoison(spec: ProductSpec): { reviews: DataReview[]; poisonIds: Set<string> } {
  const poison = POISON_REVIEWS.map((p, i) => p.make(spec.reviews[i]!));
  return { reviews: [...spec.reviews, ...poison], poisonIds: new Set(poison.map((r) => r.reviewId)) };
}

/** Through the gateway: a 202 accepts everything (poison included); a 400 refuses all, and the good part is sent again. */
async function viaGateway(ctx: ScenarioContext, spec: ProductSpec, reviews: DataReview[], poisonIds: Set<string>, product?: ProductSpec['product']): Promise<void> {
  const res = await ctx.bench.gw.upload(spec.asin, reviews.map(toUpload), product);
  if (res.status === 202) {
    ctx.note(`gateway accepted the poisoned upload of ${spec.asin} (202)`);
    ctx.work.acceptMessage(spec.asin, reviews, product, poisonIds);
    return;
  }
  if (res.status !== 400) throw new Error(`gateway answered ${res.status} to a poisoned upload: ${JSON.stringify(res.body).slice(0, 300)}`);
  const details = (res.body as { error?: { details?: { index?: number; field?: string }[] } }).error?.details ?? [];
  ctx.note(`gateway refused the poisoned upload of ${spec.asin} (400: ${details.map((d) => `${d.index ?? ''}${d.field ? `.${d.field}` : ''}`).join(', ')}); good part sent again`);
  const clean = { ...spec, reviews: reviews.filter((r) => !poisonIds.has(r.reviewId)) };
  await ctx.work.upload(ctx.bench.gw, [{ ...clean, ...(product ? { product: { bulletPoints: [bulletsFor(spec.asin)[0]!] } } : {}) }]);
}

export function poisonScenario(): ScenarioDef {
  return {
    id: 'poison',
    name: 'Poison reviews and product fields',
    bench: 'main',
    fault: () =>
      `${POISON_REVIEWS.map((p) => p.kind).join(', ')}; NUL and a lone surrogate in product title and bullet points — ` +
      'each through the gateway and straight onto INGEST, beside good reviews',
    redo: () => [],
    acceptance: { allGoodDone: true, dlqEmpty: true },
    recoverMs: 150_000,
    run: async (ctx) => {
      const [gwReviews, directReviews, gwProduct, directProduct] = Array.from({ length: 4 }, () => ctx.work.addProduct(GOOD));
      ctx.faultStarts();
      const a = withPoison(gwReviews!);
      await viaGateway(ctx, gwReviews!, a.reviews, a.poisonIds);
      const b = withPoison(directReviews!);
      await ctx.work.publishDirect(ctx.bench.nc, directReviews!.asin, b.reviews.map(toUpload), undefined, b.poisonIds);
      await viaGateway(ctx, gwProduct!, gwProduct!.reviews, new Set(), poisonProduct(gwProduct!.asin));
      await ctx.work.publishDirect(ctx.bench.nc, directProduct!.asin, directProduct!.reviews.map(toUpload), poisonProduct(directProduct!.asin));
      ctx.faultEnds();
    },
  };
}
