/** Self-sizing LLM concurrency (issue 12 items 1 and 2): the rule (sizing.ts), the order of waiting calls (order.ts) and the process's slots (slots.ts). */
export { CallSlots, DEFAULT_CALL_SLOTS, type CallSlotsOptions, type CallSlotsState } from './slots';
export { GROW_STEP, MIN_QUEUE, QUEUE_AHEAD_S, SHRINK_STEP, nextLimit, queueTarget, type SizingBounds, type SizingDecision, type SizingSample } from './sizing';
export { SLOT_ORDERS, nextProduct, type ProductHead, type SlotOrder } from './order';
