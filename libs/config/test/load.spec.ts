import { z } from 'zod';
import { ConfigError, env, loadConfig, serviceEnvironment } from '../src';

describe('loadConfig', () => {
  const schema = z.object({ PORT: env.port(8080), URL: env.url(['redis']), FLAG: env.bool(false) });

  it('applies defaults and coerces strings', () => {
    expect(loadConfig('t', schema, { URL: 'redis://x:1' })).toEqual({ PORT: 8080, URL: 'redis://x:1', FLAG: false });
    expect(loadConfig('t', schema, { URL: 'redis://x', PORT: '99', FLAG: 'true' }).PORT).toBe(99);
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      loadConfig('svc', schema, { PORT: 'abc', URL: 'http://nope', FLAG: 'maybe' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = (err as ConfigError).problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['FLAG', 'PORT', 'URL']);
    expect((err as Error).message).toContain('svc: invalid configuration');
  });

  it('treats empty strings as unset', () => {
    expect(() => loadConfig('t', schema, { URL: '' })).toThrow(/URL/);
  });
});

describe('serviceEnvironment', () => {
  it('applies host-role overrides over defaults', () => {
    expect(serviceEnvironment('translate-svc').CONCURRENCY).toBe('500');
    expect(serviceEnvironment('translate-svc', 'server-b').CONCURRENCY).toBe('300');
    expect(serviceEnvironment('gateway').GATEWAY_PORT).toBe('8080');
  });
});
