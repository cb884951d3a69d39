/**
 * The programs the run needs, each with the Debian package that brings it
 * (scripts/bootstrap.sh installs them on a fresh machine). Missing ones are
 * named at once instead of failing halfway through a build.
 */
import { spawnSync } from 'node:child_process';
import type { Log } from './engine';

export const REQUIRED: { command: string; args: string[]; pkg: string }[] = [
  { command: 'dockerd', args: ['--version'], pkg: 'docker.io' },
  { command: 'docker', args: ['--version'], pkg: 'docker.io' },
  { command: 'docker-compose', args: ['version'], pkg: 'docker-compose' },
  { command: 'debootstrap', args: ['--version'], pkg: 'debootstrap' },
  { command: 'iptables', args: ['--version'], pkg: 'iptables' },
  { command: 'nsenter', args: ['--version'], pkg: 'util-linux' },
  { command: 'ip', args: ['-V'], pkg: 'iproute2' },
];

export function preflight(log: Log): void {
  const missing = REQUIRED.filter((r) => spawnSync(r.command, r.args, { stdio: 'ignore' }).status !== 0);
  if (missing.length) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
    throw new Error(`missing ${missing.map((m) => m.command).join(', ')}: apt-get install -y ${pkgs} (scripts/bootstrap.sh does it as root)`);
  }
  const versions = ['dockerd', 'docker-compose'].map((c) => spawnSync(c, [c === 'dockerd' ? '--version' : 'version', ...(c === 'docker-compose' ? ['--short'] : [])], { encoding: 'utf8' }).stdout.trim());
  log(`tools: ${versions.join('; docker-compose ')}`);
}
