/**
 * The configurations `bench:pipeline` compares: `default` (what `npm start`
 * runs: self-sized LLM call slots below the caps), `fixed` (the fixed caps
 * of before issue 12: the seeds' CONCURRENCY × PARALLEL_SIZE as the
 * throttle, no self-sizing), or `name=VAR=value,service:VAR=value,…` (the
 * defaults plus those variables, for every service or for one).
 */
import { SERVICES, serviceEnvironment, type ServiceName } from '@voc/config';
import { DEFAULT_CALL_SLOTS } from '@voc/llm';
import type { LlmService } from './sampler';

export interface BenchConfig {
  name: string;
  /** For every service. */
  env: Record<string, string>;
  serviceEnv: Partial<Record<ServiceName, Record<string, string>>>;
}

/**
 * Before issue 12: the seeds' caps were the throttle (translate 60, learning
 * 30, insight 4 × 40, theme 4 × 50), and calls went first come, first served.
 * Slots fixed at the ceiling make the self-sizing a no-op, so the caps bind as they did.
 */
const FIXED_CAPS =
  'fixed=LLM_MIN_IN_FLIGHT=600,LLM_MAX_IN_FLIGHT=600,LLM_SLOT_ORDER=arrival,translate-svc:CONCURRENCY=60,learning-svc:CONCURRENCY=30,' +
  'insight-svc:CONCURRENCY=4,insight-svc:INSIGHT_PARALLEL_SIZE=40,theme-svc:CONCURRENCY=4,theme-svc:THEME_PARALLEL_SIZE=50';

export function parseConfig(spec: string): BenchConfig {
  const s = spec.trim();
  if (s === 'default') return { name: 'default', env: {}, serviceEnv: {} };
  if (s === 'fixed') return parseConfig(FIXED_CAPS);
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`--config "${spec}": 'default', 'fixed' or name=VAR=value,service:VAR=value,…`);
  const cfg: BenchConfig = { name: s.slice(0, eq), env: {}, serviceEnv: {} };
  for (const pair of s.slice(eq + 1).split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(?:([a-z-]+):)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!m) throw new Error(`--config "${spec}": "${pair}" is not VAR=value or service:VAR=value`);
    const [, svc, k, v] = m;
    if (svc) {
      if (!(svc in SERVICES)) throw new Error(`--config "${spec}": no service "${svc}"`);
      (cfg.serviceEnv[svc as ServiceName] ??= {})[k!] = v!;
    } else cfg.env[k!] = v!;
  }
  return cfg;
}

/** The most LLM calls each service may have at once under `cfg` (CONCURRENCY × PARALLEL_SIZE, at most LLM_MAX_IN_FLIGHT). */
export function capsOf(cfg: BenchConfig): Record<LlmService, number> {
  const envOf = (n: ServiceName) => ({ ...serviceEnvironment(n), ...cfg.env, ...cfg.serviceEnv[n] }) as Record<string, string | undefined>;
  const num = (v: string | undefined) => Number(v ?? 1);
  const e = (n: LlmService) => envOf(n);
  const ceiling = (n: LlmService, cap: number) => Math.min(cap, Number(e(n).LLM_MAX_IN_FLIGHT ?? DEFAULT_CALL_SLOTS.ceiling));
  return {
    'translate-svc': ceiling('translate-svc', num(e('translate-svc').CONCURRENCY)),
    'learning-svc': ceiling('learning-svc', num(e('learning-svc').CONCURRENCY)),
    'insight-svc': ceiling('insight-svc', num(e('insight-svc').CONCURRENCY) * num(e('insight-svc').INSIGHT_PARALLEL_SIZE)),
    'theme-svc': ceiling('theme-svc', num(e('theme-svc').CONCURRENCY) * num(e('theme-svc').THEME_PARALLEL_SIZE)),
  };
}
