import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { redisConnectionOptions } from '@voc/service-kit/redis-url';
import { limiterConfigFromEnv, limiterOptionsFor } from './env';
import { createRateLimiter } from './limiter';
import type { RateLimiter } from './types';

const USAGE = 'usage: limiter status [key…] | resume <key> [--reason text] | halt <key> --reason text [--probe-every-ms N]';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

/**
 * The operator's entry point (`npm run limiter -- …`, README: Operating it):
 *   status [key…]                 every configured key (or those given), as JSON; exit 1 while one is halted
 *   resume <key> [--reason text]  end a halt (quota topped up, arrears paid)
 *   halt <key> --reason text [--probe-every-ms 60000]
 * Redis from REDIS_URL as the services read it (default redis://127.0.0.1:6379;
 * a redis+sentinel:// URL reaches the master the Sentinels name, as on the HA
 * hosts, where an operator most needs `halt`); keys and limits from
 * the services' variables (LLM_MODEL, MAX_API_RPS, MAX_API_TPM, LLM_MODEL_LIMITS).
 * Returns the exit code: 0 done, 1 Redis trouble (or a halted key for status), 2 bad usage.
 */
export async function runLimiterCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { reason: { type: 'string' }, 'probe-every-ms': { type: 'string' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...keys] = positionals;
  let config;
  try {
    config = limiterConfigFromEnv(io.env, 'limiter');
  } catch (err) {
    io.err((err as Error).message);
    return 2;
  }
  const known = Object.keys(config.keyLimits);
  for (const k of keys) {
    if (!known.includes(k)) {
      io.err(`unknown key '${k}' (configured: ${known.join(', ')}); add it to LLM_MODEL_LIMITS`);
      return 2;
    }
  }
  if (command !== 'status' && command !== 'resume' && command !== 'halt') {
    io.err(USAGE);
    return 2;
  }
  if (command !== 'status' && keys.length !== 1) {
    io.err(`${command} needs exactly one key\n${USAGE}`);
    return 2;
  }
  if (command === 'halt' && !values.reason) {
    io.err(`halt needs --reason\n${USAGE}`);
    return 2;
  }
  const probeEveryMs = values['probe-every-ms'] === undefined ? undefined : Number(values['probe-every-ms']);
  if (probeEveryMs !== undefined && !(probeEveryMs > 0)) {
    io.err(`--probe-every-ms must be a number > 0, got ${values['probe-every-ms']}`);
    return 2;
  }

  let options;
  try {
    options = redisConnectionOptions(io.env.REDIS_URL || 'redis://127.0.0.1:6379');
  } catch (err) {
    io.err((err as Error).message);
    return 2;
  }
  const redis = new Redis({ ...options, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  const limiters: RateLimiter[] = [];
  try {
    await redis.connect();
    const limiterOf = (key: string) => {
      const l = createRateLimiter({ redis, ...limiterOptionsFor(config, key), subscriber: false });
      limiters.push(l);
      return l;
    };
    if (command === 'status') {
      const stats = await Promise.all((keys.length ? keys : known).map((k) => limiterOf(k).stats()));
      io.out(JSON.stringify(stats, null, 2));
      return stats.some((s) => s.halted) ? 1 : 0;
    }
    const limiter = limiterOf(keys[0] as string);
    if (command === 'resume') await limiter.resume(values.reason ?? 'operator command');
    else await limiter.halt(values.reason as string, probeEveryMs === undefined ? {} : { probeEveryMs });
    const after = await limiter.stats();
    io.out(JSON.stringify(after, null, 2));
    // halt() never rejects (the fleet fails closed without Redis anyway): check it took.
    const took = after.mode === 'redis' && (command === 'halt') === (after.halted !== null);
    if (!took) io.err(`limiter ${command}: not stored in Redis (mode ${after.mode})`);
    return took ? 0 : 1;
  } catch (err) {
    io.err(`limiter ${command}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await Promise.all(limiters.map((l) => l.close()));
    redis.disconnect();
  }
}
