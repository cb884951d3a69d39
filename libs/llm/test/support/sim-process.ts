import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * The real llm-sim (apps/llm-sim) in a child process on a free loopback port.
 * Spawned by path rather than imported: llm-sim depends on @voc/llm, so an
 * import from here would make the two projects depend on each other.
 */
export interface SimProcess {
  baseUrl: string;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

export interface SimStats {
  requests: number;
  byKind: Record<string, number>;
  rejected429: number;
  errors5xx: number;
  malformed: number;
  tokens: { prompt: number; completion: number };
  maxRequestsIn1s: number;
}

const MAIN = path.resolve(__dirname, '../../../../apps/llm-sim/src/main.ts');

export async function startSimProcess(env: Record<string, string> = {}): Promise<SimProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, LLM_SIM_PORT: '0', LLM_SIM_HOST: '127.0.0.1', LLM_SIM_LATENCY_MS: '5', LLM_SIM_JITTER_MS: '5', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`llm-sim did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // runService logs {"port":N,…,"msg":"started"} once it listens.
      for (const line of output.split('\n')) {
        if (!line.includes('"msg":"started"')) continue;
        const p = (JSON.parse(line) as { port?: number }).port;
        if (p) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve(p);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`llm-sim exited with ${code}:\n${output}`));
    });
  });
  const root = `http://127.0.0.1:${port}`;
  return {
    baseUrl: `${root}/v1`,
    stats: async () => (await (await fetch(`${root}/stats`)).json()) as SimStats,
    resetStats: async () => {
      await fetch(`${root}/stats/reset`, { method: 'POST' });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The C6 fingerprint a simulated translation of `original` carries. */
export function fingerprintTag(original: string): string {
  return `【译文·${createHash('sha1').update(original).digest('hex').slice(0, 8)}】`;
}
