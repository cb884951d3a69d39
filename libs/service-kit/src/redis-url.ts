/**
 * REDIS_URL as ioredis options, so a service follows a Redis failover by
 * itself. Two forms:
 *
 *   redis://[[user]:password@]host[:port][/db]     one server (rediss:// over TLS)
 *   redis+sentinel://[[user]:password@]host[:port],host[:port],…/<master name>[/db][?sentinelPassword=…]
 *
 * With Sentinels the client asks them which server is the master (port 26379
 * when none is given), reconnects to the new one when they announce a
 * failover (+switch-master) or when its server turns out to be a replica,
 * and keeps asking them while none answers. The Sentinels are authenticated
 * with the URL's password unless `sentinelPassword` names another (empty:
 * none). Host names only, or IPv4 addresses: no IPv6 literals in the list.
 */
import type { RedisOptions } from 'ioredis';

export const DEFAULT_SENTINEL_PORT = 26379;

/**
 * How long to wait for a TCP connection (ms). A dead host answers nothing;
 * the client should give up on it and ask the next Sentinel soon, not after
 * ioredis' default 10 s.
 */
const SENTINEL_CONNECT_TIMEOUT_MS = 2000;

export class RedisUrlError extends Error {}

function port(raw: string | undefined, def: number, url: string): number {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new RedisUrlError(`REDIS_URL ${redact(url)}: '${raw}' is not a port`);
  return n;
}

function db(raw: string | undefined, url: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new RedisUrlError(`REDIS_URL ${redact(url)}: database '${raw}' is not a number`);
  return Number(raw);
}

/** The URL with its password replaced, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/([^/?#]+)(?:\/([^/?#]*))?(?:\?([^#]*))?$/;

function sentinelOptions(url: string): RedisOptions {
  const m = SENTINEL_URL.exec(url);
  if (!m) throw new RedisUrlError(`REDIS_URL ${redact(url)}: expected redis+sentinel://[:password@]host:port,host:port/<master name>`);
  const [, user, pass, hostList, name, dbPart, query] = m;
  const sentinels = hostList!.split(',').map((h) => {
    const entry = h.trim();
    const colon = entry.lastIndexOf(':');
    const host = colon < 0 ? entry : entry.slice(0, colon);
    if (!host || host.includes('[')) throw new RedisUrlError(`REDIS_URL ${redact(url)}: '${entry}' is not host:port`);
    return { host, port: port(colon < 0 ? undefined : entry.slice(colon + 1), DEFAULT_SENTINEL_PORT, url) };
  });
  const password = pass === undefined ? undefined : decodeURIComponent(pass);
  const params = new URLSearchParams(query ?? '');
  const sentinelPassword = params.has('sentinelPassword') ? params.get('sentinelPassword') || undefined : password;
  return {
    sentinels,
    name: decodeURIComponent(name!),
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password ? { password } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    ...(db(dbPart, url) !== undefined ? { db: db(dbPart, url) } : {}),
    // Reconnect as soon as the Sentinels announce a new master, not when the old connection times out.
    failoverDetector: true,
    connectTimeout: SENTINEL_CONNECT_TIMEOUT_MS,
  };
}

function serverOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RedisUrlError(`REDIS_URL ${redact(url)}: not a URL`);
  }
  const dbNumber = db(u.pathname.replace(/^\//, ''), url);
  return {
    host: u.hostname || '127.0.0.1',
    port: port(u.port, 6379, url),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(dbNumber !== undefined ? { db: dbNumber } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** ioredis options for REDIS_URL (see above); throws RedisUrlError naming the problem. */
export function redisConnectionOptions(url: string): RedisOptions {
  if (url.startsWith('redis+sentinel://')) return sentinelOptions(url);
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return serverOptions(url);
  throw new RedisUrlError(`REDIS_URL ${redact(url)}: expected redis://, rediss:// or redis+sentinel://`);
}
