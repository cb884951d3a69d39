/**
 * Running the tools the test drives (docker, docker-compose, debootstrap, ip)
 * as child processes: their output collected, a clear error naming the
 * command when one fails, and `pipe` for `docker save | docker load`.
 */
import { spawn } from 'node:child_process';

export interface CommandOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the command's stdin. */
  input?: string;
  /** Killed (SIGKILL) after this long; default 10 minutes. */
  timeoutMs?: number;
  /** Resolve with the exit code instead of throwing when it is not 0. */
  allowFailure?: boolean;
  /** Each line of output as it comes (long builds show progress). */
  onLine?: (line: string) => void;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The last `n` characters of `s`, for error messages. */
export const tail = (s: string, n = 3000) => (s.length > n ? `…${s.slice(-n)}` : s);

export function runCommand(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines = (d: string) => {
      if (!opts.onLine) return;
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const l of parts) opts.onLine(l);
    };
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      lines(d.toString());
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      lines(d.toString());
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const c = code ?? 128;
      if (c !== 0 && !opts.allowFailure) {
        reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${c}`}):\n${tail(stderr || stdout)}`));
      } else resolve({ code: c, stdout, stderr });
    });
    // A command that exits without reading its input closes the pipe: not an error of ours.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input);
  });
}

/** `from | to`: both must exit 0. */
export function pipe(
  from: { cmd: string; args: string[]; env: Record<string, string> },
  to: { cmd: string; args: string[]; env: Record<string, string> },
  timeoutMs = 600_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const a = spawn(from.cmd, from.args, { env: from.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn(to.cmd, to.args, { env: to.env, stdio: ['pipe', 'pipe', 'pipe'] });
    // If `to` dies, `from` gets EPIPE: both exit codes tell what happened.
    b.stdin.on('error', () => undefined);
    a.stdout.pipe(b.stdin);
    let errA = '';
    let errB = '';
    a.stderr.on('data', (d: Buffer) => (errA += d.toString()));
    b.stderr.on('data', (d: Buffer) => (errB += d.toString()));
    b.stdout.resume();
    const timer = setTimeout(() => {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }, timeoutMs);
    const codes = [a, b].map((p) => new Promise<number>((r) => p.once('close', (c) => r(c ?? 128))));
    void Promise.all(codes).then(([ca, cb]) => {
      clearTimeout(timer);
      if (ca === 0 && cb === 0) resolve();
      else reject(new Error(`${from.cmd} ${from.args.join(' ')} (exit ${ca}) | ${to.cmd} ${to.args.join(' ')} (exit ${cb}):\n${tail(errA + errB)}`));
    });
  });
}
