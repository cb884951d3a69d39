import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startNatsCluster, type NatsCluster } from './cluster';
import { ensureBinaries } from './install';
import { stablePort } from './process';
import { startNats, startPostgres, startRedis, type RunningServer } from './servers';

export interface StackOptions {
  /** Where the servers keep their data (`.voc/` for `npm start`, a temp dir for tests). */
  dataDir: string;
  /** Durable settings (npm start) or fast ones (tests). */
  persistent: boolean;
  /** Fixed ports; a free one is picked for each port not given. */
  ports?: { nats?: number; natsHttp?: number; redis?: number; postgres?: number };
  /** Skip a server whose URL is already given (NATS_URL etc. pointing elsewhere). */
  external?: { natsUrl?: string; redisUrl?: string; databaseUrl?: string };
  /** Which servers to start (default: all three). */
  include?: { nats?: boolean; redis?: boolean; postgres?: boolean };
  /** NATS as a JetStream cluster of this many nodes on loopback (ports always free ones) instead of one server. */
  natsNodes?: number;
  /** Redis with its append-only file even when not `persistent` (a restart then reloads it). */
  redisAppendOnly?: boolean;
  log?: (msg: string) => void;
}

export interface Stack {
  natsUrl: string;
  redisUrl: string;
  databaseUrl: string;
  /** Only the servers this stack started. */
  servers: RunningServer[];
  /** The same servers by role, to stop, restart or pause one (fault tests). */
  nats: RunningServer[];
  natsCluster?: NatsCluster;
  redis?: RunningServer;
  postgres?: RunningServer;
  stop(): Promise<void>;
}

/** Starts NATS (JetStream), Redis and PostgreSQL, each unless its URL is given. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? (() => {});
  const bin = ensureBinaries(log);
  mkdirSync(o.dataDir, { recursive: true });
  // PostgreSQL runs as another user when we are root: it must reach its data dir.
  if (process.getuid?.() === 0) chmodSync(o.dataDir, 0o755);
  const servers: RunningServer[] = [];
  const stop = async () => {
    // Reverse order, all awaited: nothing left running.
    for (const s of [...servers].reverse()) await s.stop();
  };
  try {
    const want = { nats: true, redis: true, postgres: true, ...o.include };
    const startsNats = !o.external?.natsUrl && want.nats;
    const cluster = startsNats && (o.natsNodes ?? 1) > 1
      ? await startNatsCluster(o.natsNodes, { dataDir: path.join(o.dataDir, 'nats-cluster') })
      : undefined;
    const nats = cluster?.nodes ?? (startsNats
      ? [await startNats(bin, {
          port: o.ports?.nats ?? (await stablePort()),
          httpPort: o.ports?.natsHttp ?? (await stablePort()),
          dataDir: path.join(o.dataDir, 'nats'),
        })]
      : []);
    for (const n of nats) {
      servers.push(n);
      log(`nats-server ${n.url} (pid ${n.proc.pid})`);
    }
    const redis = o.external?.redisUrl || !want.redis
      ? undefined
      : await startRedis(bin, {
          port: o.ports?.redis ?? (await stablePort()),
          dataDir: path.join(o.dataDir, 'redis'),
          persist: o.persistent || o.redisAppendOnly,
        });
    if (redis) {
      servers.push(redis);
      log(`redis-server ${redis.url} (pid ${redis.proc.pid})`);
    }
    const pg = o.external?.databaseUrl || !want.postgres
      ? undefined
      : await startPostgres(bin, {
          port: o.ports?.postgres ?? (await stablePort()),
          dataDir: path.join(o.dataDir, 'postgres'),
          fast: !o.persistent,
        });
    if (pg) {
      servers.push(pg);
      log(`postgres ${pg.url.replace(/:[^:@/]+@/, ':***@')} (pid ${pg.proc.pid})`);
    }
    return {
      natsUrl: o.external?.natsUrl ?? nats.map((n) => n.url).join(','),
      redisUrl: o.external?.redisUrl ?? redis?.url ?? '',
      databaseUrl: o.external?.databaseUrl ?? pg?.url ?? '',
      servers,
      nats,
      ...(cluster ? { natsCluster: cluster } : {}),
      ...(redis ? { redis } : {}),
      ...(pg ? { postgres: pg } : {}),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
