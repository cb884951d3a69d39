import { spawnSync } from 'node:child_process';
import { cpuClassOf, NODE_RUNTIME_ENV, nodeFlagsOf, SERVICE_NAMES } from '../src';

describe('node runtime of the services', () => {
  it.each(SERVICE_NAMES)('gives %s node flags that this node accepts', (name) => {
    const flags = nodeFlagsOf(name);
    expect(flags.every((f) => f.startsWith('--'))).toBe(true);
    // A mistyped V8 flag makes node refuse to start (exit 9), as it would in the container.
    const r = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('keeps Prisma\'s WebAssembly query compiler on the baseline compiler and the young generation small', () => {
    for (const name of SERVICE_NAMES) expect(nodeFlagsOf(name)).toEqual(expect.arrayContaining(['--liftoff-only', '--max-semi-space-size=2']));
  });

  it('lets the batch class trade speed for size, not the gateway on the upload path', () => {
    for (const name of SERVICE_NAMES) expect([name, nodeFlagsOf(name).includes('--optimize-for-size')]).toEqual([name, cpuClassOf(name).cpuClass === 'batch']);
    expect(nodeFlagsOf('gateway')).not.toContain('--optimize-for-size');
  });

  it('bounds the gateway\'s old generation to 1.5 × what it keeps, and leaves the batch class its own growing factor', () => {
    for (const name of SERVICE_NAMES) {
      expect([name, nodeFlagsOf(name).includes('--heap-growing-percent=50')]).toEqual([name, cpuClassOf(name).cpuClass !== 'batch']);
    }
    expect(nodeFlagsOf('gateway')).toContain('--heap-growing-percent=50');
  });

  it('limits glibc to two malloc arenas', () => {
    expect(NODE_RUNTIME_ENV).toEqual({ MALLOC_ARENA_MAX: '2' });
  });
});
