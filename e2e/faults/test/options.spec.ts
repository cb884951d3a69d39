import { parseOptions } from '../src/options';

const ids = ['poison', 'pg-down'];

describe('parseOptions', () => {
  it('defaults: every scenario, a random seed, the CI schedule', () => {
    expect(parseOptions([], ids, () => 42)).toEqual({ only: [], seed: 42, full: false, keepLogs: false, list: false });
  });

  it('reads --only, --seed, --full, --keep-logs', () => {
    expect(parseOptions(['--only', 'pg-down, poison', '--seed', '7', '--full', '--keep-logs'], ids, () => 1)).toEqual({
      only: ['pg-down', 'poison'],
      seed: 7,
      full: true,
      keepLogs: true,
      list: false,
    });
  });

  it('refuses an unknown scenario, a bad seed and an unknown flag, naming them', () => {
    expect(() => parseOptions(['--only', 'nope'], ids, () => 1)).toThrow(/unknown scenario nope/);
    expect(() => parseOptions(['--seed', '-1'], ids, () => 1)).toThrow(/--seed/);
    expect(() => parseOptions(['--fast'], ids, () => 1)).toThrow(/fast/);
  });
});
