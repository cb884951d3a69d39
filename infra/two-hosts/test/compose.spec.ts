import { interpolate, parseCompose, rawEnvironment, referencedVariables, rewriteUrlHosts, urlParts } from '../src/compose';

describe('interpolate (compose rules)', () => {
  const vars = { SET: 'value', EMPTY: '', PORT: '5432' };

  it('replaces ${VAR} and $VAR and keeps $$ as a literal $', () => {
    expect(interpolate('a=${SET} b=$SET c=$$SET d=$PORT/x', vars, 'x')).toBe('a=value b=value c=$SET d=5432/x');
  });

  it('takes :- defaults for unset and empty variables, - defaults only for unset ones', () => {
    expect(interpolate('${MISSING:-d1} ${EMPTY:-d2} ${SET:-d3}', vars, 'x')).toBe('d1 d2 value');
    expect(interpolate('${MISSING-d1}|${EMPTY-d2}|${SET-d3}', vars, 'x')).toBe('d1||value');
  });

  it('interpolates variables inside a default', () => {
    expect(interpolate('${MISSING:-host:${PORT}}', vars, 'x')).toBe('host:5432');
  });

  it('applies :+ and + alternatives', () => {
    expect(interpolate('[${SET:+on}][${EMPTY:+on}][${EMPTY+on}][${MISSING+on}]', vars, 'x')).toBe('[on][][on][]');
  });

  it('fails naming the variable and the place when a required or undefaulted variable is unset', () => {
    expect(() => interpolate('${NOPE}', vars, 'server-a/translate-svc DATABASE_URL')).toThrow(
      'server-a/translate-svc DATABASE_URL: variable NOPE is not set and has no default',
    );
    expect(() => interpolate('${EMPTY:?set the password}', vars, 'here')).toThrow('here: variable EMPTY is required: set the password');
    expect(interpolate('${EMPTY?set it}', vars, 'here')).toBe('');
    expect(() => interpolate('${SET', vars, 'here')).toThrow('unterminated');
  });

  it('lists the variables a value refers to, ignoring escaped ones', () => {
    expect(referencedVariables('${A}:$B/$$C/${D:-${E}}').sort()).toEqual(['A', 'B', 'D', 'E']);
  });
});

describe('rawEnvironment', () => {
  it('reads map and list forms; a bare key passes the shell variable of that name through', () => {
    const file = parseCompose(
      [
        'x-common: &common',
        '  LOG_LEVEL: info',
        'services:',
        '  one:',
        '    environment:',
        '      <<: *common',
        '      CONCURRENCY: 60',
        '      FLAG: true',
        '      SECRET:',
        '  two:',
        '    environment: ["A=1", "B=x=y", "C"]',
      ].join('\n'),
      'test.yml',
    );
    expect(rawEnvironment(file.services.one!)).toEqual({ LOG_LEVEL: 'info', CONCURRENCY: '60', FLAG: 'true', SECRET: '${SECRET}' });
    expect(rawEnvironment(file.services.two!)).toEqual({ A: '1', B: 'x=y', C: '${C}' });
  });

  it('rejects a file without services', () => {
    expect(() => parseCompose('version: "3"\n', 'empty.yml')).toThrow("empty.yml: no 'services:' mapping");
  });
});

describe('rewriteUrlHosts', () => {
  const hosts = { postgres: '10.231.7.1', redis: '10.231.7.1', 'nats-b': '10.231.7.2' };

  it('points known host names at test addresses, keeping credentials, ports and paths', () => {
    expect(rewriteUrlHosts('postgresql://voc:p%40ss@postgres:5432/voc?schema=public', hosts)).toBe('postgresql://voc:p%40ss@10.231.7.1:5432/voc?schema=public');
    expect(rewriteUrlHosts('redis://:secret@redis:6379', hosts)).toBe('redis://:secret@10.231.7.1:6379');
  });

  it('rewrites every URL of a comma-separated list and leaves unknown hosts alone', () => {
    expect(rewriteUrlHosts('nats://nats-b:4222,nats://10.0.0.9:4222,nats://elsewhere:4222', hosts)).toBe(
      'nats://10.231.7.2:4222,nats://10.0.0.9:4222,nats://elsewhere:4222',
    );
  });

  it('does not touch values that are not URLs', () => {
    expect(rewriteUrlHosts('postgres', hosts)).toBe('postgres');
  });
});

describe('urlParts', () => {
  it('decodes the credentials a server must be started with', () => {
    expect(urlParts('postgresql://voc:p%40ss@10.231.7.1:5433/vocdb')).toEqual({ host: '10.231.7.1', port: 5433, user: 'voc', password: 'p@ss', path: 'vocdb' });
    expect(urlParts('redis://10.231.7.1')).toMatchObject({ port: undefined, user: '', password: '' });
  });

  it('fails without echoing a password', () => {
    expect(() => urlParts('postgresql://voc:secret@')).toThrow(/not a URL/);
    expect(() => urlParts('postgresql://voc:secret@')).not.toThrow(/secret/);
  });
});
