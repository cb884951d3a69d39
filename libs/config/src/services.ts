/**
 * The one source of truth for each service's environment: its port and the
 * settings of seed 000, per host role. `npm start` and the compose files of
 * infra/ both read these definitions, so the two cannot drift apart.
 */
export type HostRole = 'single' | 'server-a' | 'server-b';

export interface ServiceDefinition {
  /** The variable holding the port its HTTP server (health, metrics, API) listens on. */
  portVar: 'HEALTH_PORT' | 'GATEWAY_PORT' | 'LLM_SIM_PORT';
  port: number;
  /** Does the service call the LLM (and so need the limiter and LLM settings)? */
  llm: boolean;
  /** Default settings; host roles override some of them. */
  env: Record<string, string>;
  hosts?: Partial<Record<HostRole, Record<string, string>>>;
}

export const SERVICES = {
  gateway: { portVar: 'GATEWAY_PORT', port: 8080, llm: false, env: { DB_POOL_SIZE: '10' } },
  'ingest-svc': { portVar: 'HEALTH_PORT', port: 9101, llm: false, env: { CONCURRENCY: '4', DB_POOL_SIZE: '8' } },
  'translate-svc': {
    portVar: 'HEALTH_PORT',
    port: 9102,
    llm: true,
    env: { CONCURRENCY: '60', DB_POOL_SIZE: '10' },
    hosts: { 'server-b': { CONCURRENCY: '40' } },
  },
  'learning-svc': {
    portVar: 'HEALTH_PORT',
    port: 9103,
    llm: true,
    env: { CONCURRENCY: '30', DB_POOL_SIZE: '10' },
    hosts: { 'server-b': { CONCURRENCY: '20' } },
  },
  'insight-svc': {
    portVar: 'HEALTH_PORT',
    port: 9104,
    llm: true,
    env: { CONCURRENCY: '4', INSIGHT_PARALLEL_SIZE: '40', LEARNING_BACKUP: 'true', DB_POOL_SIZE: '8' },
  },
  'theme-svc': {
    portVar: 'HEALTH_PORT',
    port: 9105,
    llm: true,
    env: { CONCURRENCY: '4', THEME_PARALLEL_SIZE: '50', LEARNING_BACKUP: 'true', DB_POOL_SIZE: '8' },
  },
  'report-svc': { portVar: 'HEALTH_PORT', port: 9106, llm: false, env: { CONCURRENCY: '4', DB_POOL_SIZE: '5' } },
  'llm-sim': { portVar: 'LLM_SIM_PORT', port: 8090, llm: false, env: {} },
} as const satisfies Record<string, ServiceDefinition>;

export type ServiceName = keyof typeof SERVICES;

/** The environment a service gets on a host role, before connection settings and secrets. */
export function serviceEnvironment(name: ServiceName, role: HostRole = 'single'): Record<string, string> {
  const def: ServiceDefinition = SERVICES[name];
  return { [def.portVar]: String(def.port), ...def.env, ...(def.hosts?.[role] ?? {}) };
}
