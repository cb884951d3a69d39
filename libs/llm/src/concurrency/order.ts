/**
 * Which waiting normal call gets the next free slot (issue 12 item 2).
 *
 * `product`: the call of the product this process has been working on the
 * longest goes first (its first call came earliest; ties: the call waiting
 * longest). A product is finished before the next one's calls interleave,
 * so its report is complete early instead of every product's being late
 * together. A call that has waited `ageMs` goes first whatever its product,
 * so a small upload that comes behind a large one waits at most that long
 * for a slot, never for the whole of the large one.
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
  /** performance.now() when the process first had a call of the product open (see CallSlots: forgotten once idle). */
  seen: number;
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
    if (!b || h.seen < b.seen || (h.seen === b.seen && h.since < b.since)) best = i;
  }
  return best;
}
