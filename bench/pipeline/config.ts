/**
 * The configurations `bench:pipeline` compares: `fixed` (today's defaults,
 * what `npm start` runs) or `name=VAR=value,service:VAR=value,…` (the
 * defaults plus those variables, for every service or for one).
 */
import { SERVICES, serviceEnvironment, type ServiceName } from '@voc/config';
import type { LlmService } from './sampler';

export interface BenchConfig {
  name: string;
  /** For every service. */
  env: Record<string, string>;
  serviceEnv: Partial<Record<ServiceName, Record<string, string>>>;
}

export function parseConfig(spec: string): BenchConfig {
  const s = spec.trim();
  if (s === 'fixed') return { name: 'fixed', env: {}, serviceEnv: {} };
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`--config "${spec}": 'fixed' or name=VAR=value,service:VAR=value,…`);
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

/** The most LLM calls each service may have at once under `cfg` (CONCURRENCY × PARALLEL_SIZE). */
export function capsOf(cfg: BenchConfig): Record<LlmService, number> {
  const envOf = (n: ServiceName) => ({ ...serviceEnvironment(n), ...cfg.env, ...cfg.serviceEnv[n] }) as Record<string, string | undefined>;
  const num = (v: string | undefined) => Number(v ?? 1);
  const e = (n: LlmService) => envOf(n);
  return {
    'translate-svc': num(e('translate-svc').CONCURRENCY),
    'learning-svc': num(e('learning-svc').CONCURRENCY),
    'insight-svc': num(e('insight-svc').CONCURRENCY) * num(e('insight-svc').INSIGHT_PARALLEL_SIZE),
    'theme-svc': num(e('theme-svc').CONCURRENCY) * num(e('theme-svc').THEME_PARALLEL_SIZE),
  };
}
