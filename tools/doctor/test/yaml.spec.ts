import { spawnSync } from 'node:child_process';
import { commented, toYaml, type YamlMap } from '@voc/infra/yaml';
import { stripComments } from '@voc/infra';
import { parseYamlSubset, YamlSubsetError } from './support/yaml-subset';

jest.setTimeout(30_000);

const pyyaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/** Parses with PyYAML (safe_load, YAML 1.1: the stricter reading for yes/no/on/off). */
function pyLoad(text: string): unknown {
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const tricky: YamlMap = {
  plain: 'voc-pipeline',
  reserved: ['yes', 'no', 'on', 'off', 'true', 'null', '~', 'Y'],
  numberish: ['5', '0.9', '1e3', '0x1f', '22:00', '.inf', '-1', '007'],
  numbers: [0, 3, 8080, 0.5],
  booleans: [true, false],
  nothing: null,
  interpolation: '${PRIVATE_IP:?PRIVATE_IP is required: see infra/server-a/.env.example}:5432:5432',
  shell: 'pg_isready -U "$$POSTGRES_USER" # not a comment',
  colon: 'key: value',
  dash: '-',
  flag: '--max-old-space-size=768',
  'key with space': 'v',
  '8080': 'numeric key',
  empty: '',
  emptyList: [],
  emptyMap: {},
  nested: [[1, 2], [], { a: { b: ['c'] } }, {}],
  listOfMaps: [{ job_name: 'x', targets: ['a:1', 'b:2'] }, { only: 1 }],
  unicode: '限流器 × 200',
  multiline: 'line one\nline two',
};

describe('infra YAML writer', () => {
  it('writes what the subset reader reads back, comments dropped', () => {
    const doc: YamlMap = { ...tricky, withComment: commented('why\nbecause', { inner: commented('note', ['x', commented('item note', 'y')]) }) };
    const text = toYaml(doc, 'header line');
    expect(text.startsWith('# header line\n')).toBe(true);
    expect(text).toContain('# item note');
    expect(parseYamlSubset(text)).toEqual(stripComments(doc));
  });

  it('quotes every string a YAML 1.1 parser would read as something else', () => {
    const text = toYaml(tricky);
    for (const w of ['yes', 'no', 'on', 'off', 'true', 'null', '5', '0.9', '22:00', '007']) {
      expect(text).toMatch(new RegExp(`(- |: )"${w.replace('.', '\\.')}"`));
    }
    expect(text).toContain('"8080": "numeric key"');
  });

  (pyyaml ? it : it.skip)('is read identically by PyYAML (an independent parser)', () => {
    expect(pyLoad(toYaml(tricky))).toEqual(JSON.parse(JSON.stringify(tricky)));
  });

  it('is deterministic: the same model gives the same bytes', () => {
    expect(toYaml(tricky)).toBe(toYaml(JSON.parse(JSON.stringify(tricky)) as YamlMap));
  });

  it('refuses numbers YAML cannot hold', () => {
    expect(() => toYaml({ x: Number.NaN })).toThrow(/NaN/);
  });

  it('the subset reader rejects what it does not understand', () => {
    expect(() => parseYamlSubset('a: &anchor 1\n')).toThrow(YamlSubsetError);
    expect(() => parseYamlSubset('a:\n  - 1\n  b: 2\n')).toThrow(YamlSubsetError);
    expect(() => parseYamlSubset('a: 1\na: 2\n')).toThrow(/duplicate/);
  });
});
