import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** Where the server binaries of the stack live on this machine. */
export interface Binaries {
  natsServer: string;
  redisServer: string;
  /** PostgreSQL's bin directory (initdb, postgres). */
  pgBin: string;
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

function findPgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(`${base}/${v}/bin/postgres`))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return `${base}/${versions[0]}/bin`;
  }
  const initdb = which('initdb');
  return initdb ? initdb.replace(/\/initdb$/, '') : undefined;
}

function locate(): Partial<Binaries> {
  return { natsServer: which('nats-server'), redisServer: which('redis-server'), pgBin: findPgBin() };
}

/**
 * Finds nats-server, redis-server and PostgreSQL; as root, installs the
 * missing ones from Debian's packages. Otherwise fails naming the command
 * that would install them.
 */
export function ensureBinaries(log: (msg: string) => void = () => {}): Binaries {
  let found = locate();
  const missing = [
    !found.natsServer && 'nats-server',
    !found.redisServer && 'redis-server',
    !found.pgBin && 'postgresql',
  ].filter((x): x is string => Boolean(x));
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      throw new Error(`missing ${missing.join(', ')}: run 'sudo apt-get install -y ${missing.join(' ')}'`);
    }
    log(`installing ${missing.join(', ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
    found = locate();
  }
  if (!found.natsServer || !found.redisServer || !found.pgBin) {
    throw new Error(`still missing after install: ${JSON.stringify(found)}`);
  }
  return found as Binaries;
}
