import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { appEntryArgs, bundleApps, startApp, stablePort, waitReady, type RunningApp } from '../src';

const ROOT = path.resolve(__dirname, '../../..');

/** The niceness of a process, from /proc/<pid>/stat (field 19, after the parenthesised command). */
const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);

/** A folder for the apps' logs and the apps a describe block starts, both gone after it. */
function useApps(): { dir: string; apps: RunningApp[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'voc-fleet-'));
  const apps: RunningApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, apps };
}

describe('startApp: CPU class', () => {
  const { dir, apps } = useApps();

  it('runs the app at the niceness asked for (a batch class lowers it), and at the caller\'s own without one', async () => {
    const base = getPriority();
    const start = async (nice?: number) => {
      const port = await stablePort();
      const app = startApp(ROOT, 'llm-sim', { LLM_SIM_PORT: String(port), LOG_LEVEL: 'warn' }, path.join(dir, `sim-${nice ?? 'none'}.log`), nice === undefined ? {} : { nice });
      apps.push(app);
      return app;
    };
    const lowered = await start(Math.min(19, base + 10));
    const plain = await start();
    expect(niceOf(lowered.pid)).toBe(Math.min(19, base + 10));
    expect(niceOf(plain.pid)).toBe(base);
    // It runs (and serves) at that priority.
    await waitReady(lowered);
    expect(niceOf(lowered.pid)).toBe(Math.min(19, base + 10));
  }, 120_000);
});

describe('startApp: runtime and node flags', () => {
  const { dir, apps } = useApps();

  it('runs the sources under tsx by default, the bundle when asked', () => {
    expect(appEntryArgs(ROOT, 'gateway')).toEqual(['--import', 'tsx', path.join(ROOT, 'apps/gateway/src/main.ts')]);
    expect(appEntryArgs(ROOT, 'gateway', 'bundle')).toEqual([path.join(ROOT, 'apps/gateway/dist/main.js')]);
  });

  it('runs the bundle with the node flags given, before its entry point, and it serves', async () => {
    bundleApps(ROOT, ['llm-sim']);
    const port = await stablePort();
    const flags = ['--max-semi-space-size=2', '--stack-trace-limit=20'];
    const app = startApp(ROOT, 'llm-sim', { LLM_SIM_PORT: String(port), LOG_LEVEL: 'warn' }, path.join(dir, 'sim-bundle.log'), { runtime: 'bundle', nodeFlags: flags });
    apps.push(app);
    await waitReady(app);
    const argv = readFileSync(`/proc/${app.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv.slice(1)).toEqual([...flags, path.join(ROOT, 'apps/llm-sim/dist/main.js')]);
    await app.stop();
    expect(await app.exited).toBe(0);
  }, 120_000);
});
