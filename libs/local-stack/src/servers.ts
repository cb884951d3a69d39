import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import type { Binaries } from './install';
import { signalProcessTree, startProcess, waitUntil, type ManagedProcess } from './process';

export interface RunningServer {
  url: string;
  port: number;
  /** The current process; start() and restart() replace it. */
  proc: ManagedProcess;
  /** Stops it the server's graceful way (a stopped one is resumed first). */
  stop(): Promise<void>;
  /** Stops it with `signal` (SIGKILL: a crash) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data after stop() or kill(); no-op while it runs. */
  start(): Promise<void>;
  /** kill(signal) then start(): e.g. Redis reloading its append-only file. Default signal: the graceful one. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /**
   * SIGSTOP of the process and its children: the port still accepts TCP
   * connections (the kernel's backlog) but nothing answers, as a hung server.
   */
  pause(): void;
  /** SIGCONT: the hung server carries on where it stopped. */
  resume(): void;
  readonly running: boolean;
  readonly paused: boolean;
}

const isRunning = (p: ManagedProcess) => p.child.exitCode === null && p.child.signalCode === null;

/** A RunningServer around `launch`, which starts the process and resolves once it serves. */
async function runServer(url: string, port: number, gracefulSignal: NodeJS.Signals, launch: () => Promise<ManagedProcess>): Promise<RunningServer> {
  let proc = await launch();
  let paused = false;
  const kill = async (signal: NodeJS.Signals) => {
    // Also when someone stopped it without pause(): a stopped process would not act on a SIGTERM.
    if (isRunning(proc)) server.resume();
    await proc.stop(signal);
  };
  const server: RunningServer = {
    url,
    port,
    get proc() {
      return proc;
    },
    set proc(p: ManagedProcess) {
      proc = p;
    },
    get running() {
      return isRunning(proc);
    },
    get paused() {
      return paused;
    },
    stop: () => kill(gracefulSignal),
    kill,
    async start() {
      if (isRunning(proc)) return;
      proc = await launch();
    },
    async restart(signal = gracefulSignal) {
      await kill(signal);
      proc = await launch();
    },
    pause() {
      signalProcessTree(proc.pid, 'SIGSTOP');
      paused = true;
    },
    resume() {
      signalProcessTree(proc.pid, 'SIGCONT');
      paused = false;
    },
  };
  return server;
}

/** Sends one line over TCP and resolves with the first reply chunk. */
function tcpRequest(host: string, port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(port, host);
    sock.setTimeout(1000);
    sock.once('connect', () => sock.write(line));
    sock.once('data', (d) => {
      resolve(d.toString());
      sock.destroy();
    });
    sock.once('timeout', () => {
      sock.destroy();
      reject(new Error('timeout'));
    });
    sock.once('error', reject);
  });
}

export interface NatsOptions {
  port: number;
  /** Monitoring port (/healthz, /jsz); 0 disables it. */
  httpPort: number;
  dataDir: string;
  host?: string;
  serverName?: string;
  /** Optional cluster block, for multi-node JetStream. */
  cluster?: { name: string; port: number; routes: string[]; host?: string };
  user?: string;
  password?: string;
}

export async function startNats(bin: Binaries, o: NatsOptions): Promise<RunningServer> {
  mkdirSync(o.dataDir, { recursive: true });
  const host = o.host ?? '127.0.0.1';
  const conf = [
    `server_name: ${JSON.stringify(o.serverName ?? `voc-${o.port}`)}`,
    `listen: "${host}:${o.port}"`,
    o.httpPort ? `http: "${host}:${o.httpPort}"` : '',
    `jetstream { store_dir: ${JSON.stringify(path.join(o.dataDir, 'js'))}, max_memory_store: 256MB, max_file_store: 4GB }`,
    o.user ? `authorization { user: ${JSON.stringify(o.user)}, password: ${JSON.stringify(o.password ?? '')} }` : '',
    o.cluster
      ? `cluster { name: ${JSON.stringify(o.cluster.name)}, listen: "${o.cluster.host ?? host}:${o.cluster.port}", routes: [${o.cluster.routes
          .map((r) => JSON.stringify(r))
          .join(', ')}] }`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  const confPath = path.join(o.dataDir, 'nats.conf');
  writeFileSync(confPath, conf + '\n');
  const probe = o.httpPort
    ? async () => (await fetch(`http://${host}:${o.httpPort}/healthz?js-enabled-only=true`)).ok
    : async () => (await tcpRequest(host, o.port, '')).startsWith('INFO');
  return runServer(`nats://${host}:${o.port}`, o.port, 'SIGTERM', async () => {
    const proc = startProcess('nats-server', bin.natsServer, ['-c', confPath]);
    await waitUntil(`nats-server on ${host}:${o.port}`, probe, proc);
    return proc;
  });
}

export interface RedisOptions {
  port: number;
  dataDir: string;
  host?: string;
  /** Append-only persistence (on for `npm start`, off for tests). */
  persist?: boolean;
  password?: string;
}

export async function startRedis(bin: Binaries, o: RedisOptions): Promise<RunningServer> {
  mkdirSync(o.dataDir, { recursive: true });
  const host = o.host ?? '127.0.0.1';
  const args = [
    '--port', String(o.port),
    '--bind', host,
    '--dir', o.dataDir,
    '--save', '',
    '--appendonly', o.persist ? 'yes' : 'no',
    // Limiter state must never be evicted: refuse writes instead when full.
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
    ...(o.password ? ['--requirepass', o.password] : []),
  ];
  const auth = o.password ? `AUTH ${o.password}\r\n` : '';
  const cred = o.password ? `:${encodeURIComponent(o.password)}@` : '';
  // A restart with `persist` reloads the append-only file before it answers PING.
  return runServer(`redis://${cred}${host}:${o.port}`, o.port, 'SIGTERM', async () => {
    const proc = startProcess('redis-server', bin.redisServer, args);
    await waitUntil(
      `redis-server on ${host}:${o.port}`,
      async () => (await tcpRequest(host, o.port, `${auth}PING\r\n`)).includes('PONG') || Boolean(auth),
      proc,
    );
    return proc;
  });
}

export interface PostgresOptions {
  port: number;
  dataDir: string;
  host?: string;
  user?: string;
  password?: string;
  database?: string;
  /** Trade durability for speed (tests): fsync and synchronous_commit off. */
  fast?: boolean;
  maxConnections?: number;
  /** Networks besides loopback whose clients may connect with the password, e.g. `['10.0.0.0/24']` (pg_hba.conf). */
  clientNetworks?: string[];
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` system user. */
function pgOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error("running as root and there is no 'postgres' user to run PostgreSQL as (apt-get install postgresql creates it)");
  }
}

export async function startPostgres(bin: Binaries, o: PostgresOptions): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  const user = o.user ?? 'voc';
  const password = o.password ?? 'voc';
  const database = o.database ?? 'voc';
  const owner = pgOwner();
  const ids = owner ? { uid: owner.uid, gid: owner.gid } : {};
  if (!existsSync(path.join(o.dataDir, 'PG_VERSION'))) {
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(o.dataDir, owner.uid, owner.gid);
    const pwfile = path.join(o.dataDir, '..', `.pwfile-${o.port}`);
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    try {
      execFileSync(
        path.join(bin.pgBin, 'initdb'),
        ['-D', o.dataDir, '-U', user, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-instructions'],
        { stdio: 'pipe', ...ids },
      );
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb ${o.dataDir} failed: ${stderr.trim() || (e as Error).message}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  } else if (owner && statSync(o.dataDir).uid !== owner.uid) {
    chownSync(o.dataDir, owner.uid, owner.gid);
  }
  if (o.clientNetworks?.length) {
    // initdb only lets loopback in; add each network once (a restart keeps the file).
    const hba = path.join(o.dataDir, 'pg_hba.conf');
    const present = readFileSync(hba, 'utf8');
    const lines = o.clientNetworks.map((net) => `host all all ${net} scram-sha-256`).filter((l) => !present.includes(l));
    if (lines.length) appendFileSync(hba, lines.join('\n') + '\n');
  }
  const args = [
    '-D', o.dataDir,
    '-p', String(o.port),
    '-h', host,
    '-k', o.dataDir,
    '-c', `max_connections=${o.maxConnections ?? 300}`,
    ...(o.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const adminUrl = `postgresql://${user}:${encodeURIComponent(password)}@${host}:${o.port}/postgres`;
  const url = `postgresql://${user}:${encodeURIComponent(password)}@${host}:${o.port}/${database}`;
  // SIGINT is PostgreSQL's "fast shutdown": aborts sessions, checkpoints, exits.
  return runServer(url, o.port, 'SIGINT', async () => {
    const proc = startProcess('postgres', path.join(bin.pgBin, 'postgres'), args, ids);
    await waitUntil(
      `postgres on ${host}:${o.port}`,
      async () => {
        const c = new Client({ connectionString: adminUrl });
        await c.connect();
        const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (r.rowCount === 0) await c.query(`CREATE DATABASE "${database}"`);
        await c.end();
        return true;
      },
      proc,
    );
    return proc;
  });
}
