/**
 * Which waiting normal call gets the next free slot (issue 12 item 2).
 *
 * `product`: the call of the product with the fewest calls open or waiting
 * in this process goes first (ties: the one waiting longest). A product the
 * process is finishing keeps its slots until it is done, instead of every
 * product's chunk getting a share and all of them finishing late; a small
 * upload that comes after a large one overtakes it rather than waiting
 * behind it. A call that has waited `ageMs` goes first whatever its
 * product, so a large product is never starved by a stream of small ones.
 *
 * `arrival`: first come, first served (the order before; a baseline for
 * bench:pipeline). Within a product, calls always go in arrival order.
 */
export const SLOT_ORDERS = ['product', 'arrival'] as const;
export type SlotOrder = (typeof SLOT_ORDERS)[number];

/** The longest-waiting call of one product (or of the calls without a product). */
export interface ProductHead {
  /** The product (asin); calls without one go before any product's. */
  product: string | undefined;
  /** performance.now() when that call began to wait. */
  since: number;
  /** Calls of the product holding or waiting for a slot in this process. */
  open: number;
}

/** The index in `heads` of the product whose longest-waiting call goes next; -1 when there is none. */
export function nextProduct(heads: readonly ProductHead[], order: SlotOrder, now: number, ageMs: number): number {
  if (heads.length <= 1) return heads.length - 1;
  let oldest = 0;
  for (let i = 1; i < heads.length; i++) if (heads[i]!.since < heads[oldest]!.since) oldest = i;
  if (order === 'arrival' || now - heads[oldest]!.since >= ageMs) return oldest;
  let best = -1;
  for (let i = 0; i < heads.length; i++) {
    const h = heads[i]!;
    if (h.product === undefined) return i;
    const b = best < 0 ? undefined : heads[best]!;
    if (!b || h.open < b.open || (h.open === b.open && h.since < b.since)) best = i;
  }
  return best;
}
