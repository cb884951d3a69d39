import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Why a reserved slot went unused: `late` (the event loop reached it past
 * the margin), `paused` (a pause began), `halted`, `unclaimed` (no caller
 * left that fits it), `closed`.
 */
export type DropReason = 'late' | 'paused' | 'halted' | 'unclaimed' | 'closed';

export interface LimiterMetrics {
  grants: Counter<'key' | 'priority'>;
  grantedTokens: Counter<'key' | 'priority'>;
  settledTokens: Counter<'key' | 'direction'>;
  waitSeconds: Histogram<'key' | 'priority'>;
  dispatchLateness: Histogram<'key'>;
  pauses: Counter<'key' | 'cause'>;
  halted: Gauge<'key'>;
  limitRps: Gauge<'key'>;
  limitTpm: Gauge<'key'>;
  budgetFactor: Gauge<'key' | 'dimension'>;
  fences: Counter<'key'>;
  degraded: Gauge<'key'>;
  waiting: Gauge<'key' | 'priority'>;
  droppedSlots: Counter<'key' | 'reason'>;
  extendedGrants: Counter<'key'>;
  releasedSlots: Counter<'key'>;
  redisCalls: Counter<'key' | 'op' | 'outcome'>;
}

// One set per registry: several limiters (one per model) share the metric
// objects, told apart by the `key` label.
const perRegistry = new WeakMap<Registry, LimiterMetrics>();

function build(registers: Registry[]): LimiterMetrics {
  return {
    grants: new Counter({
      name: 'rate_limiter_grants_total',
      help: 'acquire() calls that resolved: requests allowed to go to the LLM provider',
      labelNames: ['key', 'priority'],
      registers,
    }),
    grantedTokens: new Counter({
      name: 'rate_limiter_granted_tokens_total',
      help: 'Tokens reserved by the grants (before settles)',
      labelNames: ['key', 'priority'],
      registers,
    }),
    settledTokens: new Counter({
      name: 'rate_limiter_settled_tokens_total',
      help: 'Tokens corrected by settle()/cancel(): returned (over-estimates, cancels) or charged (under-estimates)',
      labelNames: ['key', 'direction'],
      registers,
    }),
    waitSeconds: new Histogram({
      name: 'rate_limiter_wait_seconds',
      help: 'Time from acquire() to its grant',
      labelNames: ['key', 'priority'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    dispatchLateness: new Histogram({
      name: 'rate_limiter_dispatch_lateness_seconds',
      help: 'How long after its time each due slot was reached: granted within the margin (LIMITER_MARGIN_MS, or its extension), dropped as late beyond it; event-loop lag is most of it',
      labelNames: ['key'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    pauses: new Counter({
      name: 'rate_limiter_pauses_total',
      help: 'Fleet-wide pauses this process started (provider 429s), by cause',
      labelNames: ['key', 'cause'],
      registers,
    }),
    halted: new Gauge({
      name: 'rate_limiter_halted',
      help: '1 while LLM work is halted fleet-wide (quota exhausted, account in arrears), as this process last saw it',
      labelNames: ['key'],
      registers,
    }),
    limitRps: new Gauge({
      name: 'rate_limiter_limit_rps',
      help: 'The configured fleet-wide request limit (MAX_API_RPS)',
      labelNames: ['key'],
      registers,
    }),
    limitTpm: new Gauge({
      name: 'rate_limiter_limit_tpm',
      help: 'The configured fleet-wide token limit per minute (MAX_API_TPM; 0: none)',
      labelNames: ['key'],
      registers,
    }),
    budgetFactor: new Gauge({
      name: 'rate_limiter_budget_factor',
      help: 'Share of the limit in force (ramp after a cold start or pause, times any 429 cut), as this process last saw it',
      labelNames: ['key', 'dimension'],
      registers,
    }),
    fences: new Counter({
      name: 'rate_limiter_fences_total',
      help: 'Schedules this process found fenced: the state was missing or written by another Redis server (restart, failover)',
      labelNames: ['key'],
      registers,
    }),
    degraded: new Gauge({
      name: 'rate_limiter_degraded',
      help: '1 while Redis is unreachable and the limiter grants nothing (fail closed)',
      labelNames: ['key'],
      registers,
    }),
    waiting: new Gauge({
      name: 'rate_limiter_waiting',
      help: 'acquire() calls waiting in this process',
      labelNames: ['key', 'priority'],
      registers,
    }),
    droppedSlots: new Counter({
      name: 'rate_limiter_dropped_slots_total',
      help: 'Reserved slots not used: too late to use safely, inside a pause or halt, nobody left that fits, or closing',
      labelNames: ['key', 'reason'],
      registers,
    }),
    extendedGrants: new Counter({
      name: 'rate_limiter_extended_grants_total',
      help: 'Grants made later than the margin after their slot, within the extension Redis gave it while the schedule was idle (instead of dropping the slot late)',
      labelNames: ['key'],
      registers,
    }),
    releasedSlots: new Counter({
      name: 'rate_limiter_released_slots_total',
      help: 'Reserved slots given back to Redis for others to use',
      labelNames: ['key'],
      registers,
    }),
    redisCalls: new Counter({
      name: 'rate_limiter_redis_calls_total',
      help: 'Script calls to Redis, by script and outcome',
      labelNames: ['key', 'op', 'outcome'],
      registers,
    }),
  };
}

export function limiterMetrics(registry?: Registry): LimiterMetrics {
  // Without a registry the metrics are kept but exported nowhere.
  if (!registry) return build([]);
  let m = perRegistry.get(registry);
  if (!m) {
    m = build([registry]);
    perRegistry.set(registry, m);
  }
  return m;
}
