import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type DropReason = 'late' | 'paused' | 'unclaimed' | 'stale_lease';

export interface LimiterMetrics {
  grants: Counter<'key' | 'priority'>;
  waitSeconds: Histogram<'key' | 'priority'>;
  pauses: Counter<'key'>;
  degraded: Gauge<'key'>;
  waiting: Gauge<'key' | 'priority'>;
  droppedSlots: Counter<'key' | 'reason'>;
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
    waitSeconds: new Histogram({
      name: 'rate_limiter_wait_seconds',
      help: 'Time from acquire() to its grant',
      labelNames: ['key', 'priority'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    pauses: new Counter({
      name: 'rate_limiter_pauses_total',
      help: 'Fleet-wide pauses this process started (provider 429s)',
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
      help: 'Reserved slots not used: too late to use safely, inside a pause, or nobody left to take them',
      labelNames: ['key', 'reason'],
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
