import { z } from 'zod';
import { ConfigError, loadServiceConfig, SERVICES, serviceEnvironment, type ServiceName } from '@voc/config';
import { workerEnv } from '../src';

const schema = z.object(workerEnv);
const WORKERS: ServiceName[] = ['ingest-svc', 'translate-svc', 'learning-svc', 'insight-svc', 'theme-svc', 'report-svc'];

describe('worker settings: defaults from SERVICES, the environment wins', () => {
  it.each(WORKERS)('%s alone, with nothing set, gets what npm start gives it', (name) => {
    const cfg = loadServiceConfig(name, schema, {});
    const defaults = serviceEnvironment(name);
    expect(cfg.HEALTH_PORT).toBe(SERVICES[name].port);
    expect(cfg.CONCURRENCY).toBe(Number(defaults.CONCURRENCY));
    expect(cfg.DB_POOL_SIZE).toBe(Number(defaults.DB_POOL_SIZE));
  });

  it('takes a set variable over the definition, and an empty one as unset', () => {
    expect(loadServiceConfig('translate-svc', schema, { CONCURRENCY: '7', HEALTH_PORT: '9999' })).toMatchObject({ CONCURRENCY: 7, HEALTH_PORT: 9999 });
    expect(loadServiceConfig('translate-svc', schema, { CONCURRENCY: '' }).CONCURRENCY).toBe(500);
  });

  it('names a bad value', () => {
    expect(() => loadServiceConfig('ingest-svc', schema, { CONCURRENCY: '0' })).toThrow(ConfigError);
    expect(() => loadServiceConfig('ingest-svc', schema, { CONCURRENCY: '0' })).toThrow(/CONCURRENCY/);
  });
});
