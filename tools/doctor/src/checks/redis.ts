/**
 * Redis: reachable with the password (through the Sentinels when REDIS_URL
 * is redis+sentinel://, as the services reach it), and configured for the
 * limiter: `maxmemory-policy noeviction` (an evicted grant window or 429
 * pause would let the fleet exceed the provider's limit), append-only
 * persistence, a memory bound; with Sentinels, whether the master has a
 * replica to fail over to.
 */
import Redis from 'ioredis';
import { redact, redisConnectionOptions } from '@voc/service-kit/redis-url';
import { fail, ok, warn, type CheckResult } from '../report';

async function configValue(redis: Redis, key: string): Promise<string | undefined> {
  const pair = (await redis.config('GET', key)) as string[];
  return pair[1];
}

/** With Sentinels: the master's replicas (none connected: a failover has nothing to promote). */
async function replication(redis: Redis): Promise<CheckResult> {
  const info = await redis.info('replication');
  const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
  const role = /role:(\w+)/.exec(info)?.[1] ?? '?';
  if (role !== 'master') return fail('redis replication', `the Sentinels named a ${role}, not a master`);
  return replicas > 0
    ? ok('redis replication', `master with ${replicas} replica(s) connected`)
    : warn('redis replication', 'master without a connected replica: a failover would have nothing to promote');
}

export async function checkRedis(url: string, timeoutMs: number): Promise<CheckResult[]> {
  let options;
  try {
    options = redisConnectionOptions(url);
  } catch (err) {
    return [fail('redis', (err as Error).message)];
  }
  const redis = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // One attempt: the doctor reports, it does not wait for Redis to come back.
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    connectionName: 'voc-doctor',
  });
  // Connection errors surface through the awaited calls below; without a listener ioredis would also log them.
  redis.on('error', () => undefined);
  const where = redact(url);
  try {
    await redis.connect();
    const pong = await redis.ping();
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
    const results: CheckResult[] = [ok('redis', `${where}: ${pong}, Redis ${version}`)];
    if (options.sentinels) results.push(await replication(redis));
    let policy: string | undefined;
    let appendonly: string | undefined;
    let maxmemory: string | undefined;
    try {
      [policy, appendonly, maxmemory] = await Promise.all(['maxmemory-policy', 'appendonly', 'maxmemory'].map((k) => configValue(redis, k)));
    } catch (err) {
      results.push(warn('redis config', `CONFIG GET refused (${(err as Error).message}): check maxmemory-policy noeviction by hand`));
      return results;
    }
    results.push(
      policy === 'noeviction'
        ? ok('redis maxmemory-policy', 'noeviction: limiter state is never evicted')
        : fail('redis maxmemory-policy', `${policy}: Redis may evict the limiter's windows and pauses; set noeviction`),
    );
    results.push(
      appendonly === 'yes'
        ? ok('redis persistence', 'appendonly yes')
        : warn('redis persistence', `appendonly ${appendonly}: the label cache and sweeper lock are lost on a restart`),
    );
    results.push(
      maxmemory && maxmemory !== '0'
        ? ok('redis maxmemory', `${Math.round(Number(maxmemory) / 1024 / 1024)} MB`)
        : warn('redis maxmemory', 'unbounded: a full host OOM-kills Redis instead of Redis refusing writes'),
    );
    return results;
  } catch (err) {
    return [fail('redis', `${where}: ${(err as Error).message}`)];
  } finally {
    redis.disconnect();
  }
}
