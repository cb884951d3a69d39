/** Self-sizing LLM concurrency (issue 12 item 1): the rule (sizing.ts) and the process's slots (slots.ts). */
export { CallSlots, DEFAULT_CALL_SLOTS, type CallSlotsOptions, type CallSlotsState } from './slots';
export { GROW_STEP, MIN_QUEUE, QUEUE_AHEAD_S, SHRINK_STEP, nextLimit, queueTarget, type SizingBounds, type SizingDecision, type SizingSample } from './sizing';
