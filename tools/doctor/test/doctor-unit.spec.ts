import { interpolate, interpolateEnvironment, references, sampleEnv } from '@voc/infra';
import { checkServiceConfigs } from '../src/checks/services';
import { checkVariables, isNonPublicIpv4, parseIpv4 } from '../src/checks/variables';
import { EnvFileError, mergeEnvironment, parseEnvFile } from '../src/env-file';
import { parseArgs, UsageError } from '../src/main';
import { exitCode, renderTable, summary, type CheckResult } from '../src/report';
import { resolveTargets } from '../src/targets';

const byCheck = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r]));

describe('compose interpolation', () => {
  it('follows compose: defaults, required values, $$ and bare names', () => {
    const vars = { A: 'a', EMPTY: '' };
    expect(interpolate('${A}-${B:-b}-${EMPTY:-e}-${EMPTY-kept}-$A-$$A', vars)).toEqual({ value: 'a-b-e--a-$A', missing: [] });
    expect(interpolate('x${B:?B is needed}y${EMPTY:?empty too}z${EMPTY?set is enough}', vars)).toEqual({
      value: 'xyz',
      missing: [
        { variable: 'B', message: 'B is needed' },
        { variable: 'EMPTY', message: 'empty too' },
      ],
    });
    expect(references('$$X ${Y:-1} $Z').map((r) => [r.variable, r.op])).toEqual([
      ['Y', ':-'],
      ['Z', ''],
    ]);
  });

  it('reports each missing variable of an environment once', () => {
    const r = interpolateEnvironment({ A: '${P:?p}', B: 'x${P:?p}', C: '${Q:-q}' }, {});
    expect(r.env).toEqual({ A: '', B: 'x', C: 'q' });
    expect(r.missing.map((m) => m.variable)).toEqual(['P']);
  });
});

describe('env file', () => {
  it('reads KEY=VALUE lines like compose', () => {
    const text = ['# comment', '', 'A=1', 'B = spaced ', 'C="quoted # not a comment"', "D='single'", 'E=value # comment', 'F=', 'G=a=b'].join('\n');
    expect(parseEnvFile(text, '.env')).toEqual({ A: '1', B: 'spaced', C: 'quoted # not a comment', D: 'single', E: 'value', F: '', G: 'a=b' });
  });

  it('names the line it cannot read', () => {
    expect(() => parseEnvFile('A=1\nnot a line\n', 'x.env')).toThrow(EnvFileError);
    expect(() => parseEnvFile('A=1\nnot a line\n', 'x.env')).toThrow('x.env:2');
  });

  it('lets the process environment win, as compose does', () => {
    expect(mergeEnvironment({ A: 'file', B: 'file' }, { B: 'shell', C: undefined })).toEqual({ A: 'file', B: 'shell' });
  });
});

describe('host variables', () => {
  const local = ['127.0.0.1', '10.0.0.10'];
  const good = { ...sampleEnv('server-a') };

  it('accepts the sample .env of every role, showing defaults and hiding secrets', () => {
    for (const role of ['server-a', 'server-b', 'worker'] as const) {
      const results = checkVariables(role, sampleEnv(role), ['10.0.0.10', '10.0.0.11']);
      expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    }
    const r = byCheck(checkVariables('server-a', good, local));
    expect(r['env POSTGRES_PASSWORD']!.detail).toBe(`set (${good.POSTGRES_PASSWORD!.length} characters)`);
    expect(JSON.stringify(r)).not.toContain(good.POSTGRES_PASSWORD);
    expect(r['env NODE_NAME']!.detail).toBe('unset (default: server-a)');
  });

  it('fails a missing required variable and a malformed one, warns on weak ones', () => {
    const { SERVER_B_IP: _gone, ...rest } = good;
    const r = byCheck(
      checkVariables(
        'server-a',
        { ...rest, REDIS_PASSWORD: 'has@sign-but-long-enough', NATS_PASSWORD: 'short', MAX_API_RPS: '0', LLM_MODEL_LIMITS: 'qwen3-max:8', NATS_REPLICAS: '5', LOG_LEVEL: 'loud' },
        local,
      ),
    );
    expect(r['env SERVER_B_IP']!.status).toBe('FAIL');
    expect(r['env REDIS_PASSWORD']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('letters, digits') });
    expect(r['env NATS_PASSWORD']).toMatchObject({ status: 'warn', detail: expect.stringContaining('5 characters') });
    expect(r['env MAX_API_RPS']!.status).toBe('FAIL');
    expect(r['env LLM_MODEL_LIMITS']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('qwen3-max=8') });
    expect(r['env NATS_REPLICAS']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('3 nodes') });
    expect(r['env LOG_LEVEL']!.status).toBe('FAIL');
  });

  it('fails a PRIVATE_IP this host does not have, and warns on a public one', () => {
    expect(byCheck(checkVariables('server-a', { ...good, PRIVATE_IP: '10.9.9.9' }, local))['env PRIVATE_IP']).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('not an address of this host'),
    });
    expect(byCheck(checkVariables('server-a', { ...good, PRIVATE_IP: '203.0.113.7' }, ['203.0.113.7']))['env PRIVATE_IP']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('public address'),
    });
    expect(parseIpv4('10.0.0.256')).toBeUndefined();
    expect(['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '100.64.0.1'].every((a) => isNonPublicIpv4(parseIpv4(a)!))).toBe(true);
    expect(['172.32.0.1', '8.8.8.8', '100.128.0.1'].some((a) => isNonPublicIpv4(parseIpv4(a)!))).toBe(false);
  });
});

describe('service configurations', () => {
  it("accept each host's sample .env with the services' own loaders", () => {
    for (const role of ['server-a', 'server-b', 'worker'] as const) {
      expect(checkServiceConfigs(role, sampleEnv(role)).filter((r) => r.status !== 'ok')).toEqual([]);
    }
    const b = byCheck(checkServiceConfigs('server-b', sampleEnv('server-b')));
    expect(b['config translate-svc']!.detail).toContain('CONCURRENCY 300');
    expect(b['config learning-svc']!.detail).toContain('CONCURRENCY 20');
    expect(b['config insight-svc']!.detail).toContain('INSIGHT_PARALLEL_SIZE 100');
  });

  it('fail with the variable the service itself would reject', () => {
    const r = byCheck(checkServiceConfigs('server-a', { ...sampleEnv('server-a'), MAX_API_RPS: 'fast', LLM_BASE_URL: 'ftp://llm' }));
    expect(r['config translate-svc']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('MAX_API_RPS') });
    expect(r['config translate-svc']!.detail).toContain('LLM_BASE_URL');
    expect(r['config gateway']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('MAX_API_RPS') });
    expect(r['config ingest-svc']!.status).toBe('ok');
  });

  it('fail when compose would not even start the service', () => {
    const { LLM_API_KEY: _k, ...rest } = sampleEnv('worker');
    expect(byCheck(checkServiceConfigs('worker', rest))['config theme-svc']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('LLM_API_KEY') });
  });
});

describe('targets', () => {
  it("reach each endpoint at its owner's private address, and the PostgreSQL primary through the host's HAProxy", () => {
    const vars: Record<string, string> = {
      ...sampleEnv('server-b'),
      PRIVATE_IP: '10.0.0.11',
      SERVER_A_IP: '10.0.0.10',
      WITNESS_IP: '10.0.0.12',
      LLM_BASE_URL: 'http://llm-sim:8090/v1',
    };
    const t = resolveTargets('server-b', vars);
    expect(t.problems).toEqual({});
    expect(t.nats.servers).toEqual([
      { label: 'nats-a1', url: 'nats://10.0.0.10:4222' },
      { label: 'nats-b1', url: 'nats://10.0.0.11:4222' },
      { label: 'nats-w1', url: 'nats://10.0.0.12:4222' },
    ]);
    expect(t.redisUrl).toBe(`redis+sentinel://:${vars.REDIS_PASSWORD}@10.0.0.10:26379,10.0.0.11:26379,10.0.0.12:26379/voc`);
    // HAProxy's PostgreSQL port is published on the host's loopback.
    expect(t.databaseUrl).toBe(`postgresql://voc:${vars.POSTGRES_PASSWORD}@127.0.0.1:5000/voc`);
    expect(t.llm).toEqual({ baseUrl: 'http://10.0.0.10:8090/v1', apiKey: vars.LLM_API_KEY, model: 'qwen-plus-latest' });
  });

  it('check only NATS and the Sentinels on the witness, which runs no service', () => {
    const t = resolveTargets('witness', { ...sampleEnv('witness'), SERVER_A_IP: '10.0.0.10', SERVER_B_IP: '10.0.0.11' });
    expect(t.nats.servers.map((s) => s.url)).toEqual(['nats://10.0.0.10:4222', 'nats://10.0.0.11:4222', 'nats://10.0.0.12:4222']);
    expect(t.redisUrl).toMatch(/^redis\+sentinel:\/\/:[^@]+@10\.0\.0\.10:26379,10\.0\.0\.11:26379,10\.0\.0\.12:26379\/voc$/);
    expect(t.databaseUrl).toBeUndefined();
    expect(t.skipped).toEqual(['postgres', 'llm']);
  });

  it('use NATS_URL, REDIS_URL and DATABASE_URL from the environment when given', () => {
    const t = resolveTargets('worker', { ...sampleEnv('worker'), NATS_URL: 'nats://127.0.0.1:1,nats://127.0.0.1:2', REDIS_URL: 'redis://127.0.0.1:3', DATABASE_URL: 'postgresql://u:p@127.0.0.1:4/d' });
    expect(t.nats.servers.map((s) => s.url)).toEqual(['nats://127.0.0.1:1', 'nats://127.0.0.1:2']);
    expect([t.redisUrl, t.databaseUrl]).toEqual(['redis://127.0.0.1:3', 'postgresql://u:p@127.0.0.1:4/d']);
  });

  it('say which variable is missing instead of guessing an address', () => {
    const { SERVER_A_IP: _a, ...rest } = sampleEnv('worker');
    const t = resolveTargets('worker', rest);
    expect(t.problems.nats).toContain('SERVER_A_IP');
    expect(t.problems.redis).toContain('SERVER_A_IP');
    expect(t.redisUrl).toBeUndefined();
  });
});

describe('report', () => {
  const results: CheckResult[] = [
    { check: 'env A', status: 'ok', detail: 'fine' },
    { check: 'redis maxmemory-policy', status: 'FAIL', detail: 'allkeys-lru: '.repeat(12) },
    { check: 'x', status: 'warn', detail: 'hmm' },
  ];

  it('prints check, status and wrapped detail columns', () => {
    const table = renderTable(results, 80).split('\n');
    expect(table[0]).toMatch(/^check\s+status\s+detail$/);
    expect(table.find((l) => l.startsWith('redis maxmemory-policy'))).toMatch(/^redis maxmemory-policy\s+FAIL\s+allkeys-lru:/);
    expect(table.every((l) => l.length <= 80)).toBe(true);
    expect(table.length).toBeGreaterThan(results.length + 2); // the long detail wrapped
    expect(summary(results)).toBe('1 ok, 1 warn, 1 FAIL');
  });

  it('exits 1 on a failure, and on a warning only when strict', () => {
    expect(exitCode(results)).toBe(1);
    expect(exitCode(results.filter((r) => r.status !== 'FAIL'))).toBe(0);
    expect(exitCode(results.filter((r) => r.status !== 'FAIL'), true)).toBe(1);
  });
});

describe('command line', () => {
  it('reads the options', () => {
    expect(parseArgs(['--host', 'server-b', '--llm-call', '--timeout', '2000', '--json', '--env-file', 'x.env'])).toEqual({
      role: 'server-b',
      llmCall: true,
      timeoutMs: 2000,
      strict: false,
      json: true,
      envFile: 'x.env',
    });
  });

  it('rejects what it does not know', () => {
    expect(() => parseArgs([])).toThrow(UsageError);
    expect(() => parseArgs(['--host', 'server-z'])).toThrow(/server-a, server-b, witness, worker/);
    expect(() => parseArgs(['--host', 'worker', '--timeout', '-1'])).toThrow(/milliseconds/);
    expect(() => parseArgs(['--host', 'worker', '--bogus'])).toThrow(/bogus/);
  });
});
