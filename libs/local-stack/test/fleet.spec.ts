import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, stablePort, waitReady, type RunningApp } from '../src';

const ROOT = path.resolve(__dirname, '../../..');

/** The niceness of a process, from /proc/<pid>/stat (field 19, after the parenthesised command). */
const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);

describe('startApp: CPU class', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'voc-fleet-'));
  const apps: RunningApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

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
