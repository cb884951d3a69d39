/**
 * One script, one round trip per check (keys/key-limits.ts calls it). Redis'
 * clock (TIME) times the token bucket, so every gateway replica refills it
 * the same way. Numbers cross back to Lua's caller as integers: tokens are
 * returned in thousandths.
 *
 *   take     KEYS[1]=bucket           ARGV: rate/s, burst        → {allowed, tokens×1000, retryAfterMs}
 *   peek     KEYS[1]=bucket KEYS[2]=day ARGV: rate/s, burst      → {1, tokens×1000, 0, reviewsToday}
 *   reviews  KEYS[2]=day              ARGV: n, limit, ttlS        → {allowed, reviewsToday}
 *   refund   KEYS[2]=day              ARGV: n                     → {1, reviewsToday}
 *   cooldown KEYS[1]=cooldown         ARGV: ms                    → {allowed, retryAfterMs}
 */
export const KEY_LIMITS_LUA = `
local mode = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function bucket(rate, burst)
  local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  local tokens = tonumber(b[1])
  local at = tonumber(b[2])
  if tokens == nil or at == nil then return burst end
  return math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
end

if mode == 'take' then
  local rate, burst = tonumber(ARGV[2]), tonumber(ARGV[3])
  local tokens = bucket(rate, burst)
  if tokens < 1 then
    return {0, math.floor(tokens * 1000), math.ceil((1 - tokens) * 1000 / rate)}
  end
  tokens = tokens - 1
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
  return {1, math.floor(tokens * 1000), 0}
elseif mode == 'peek' then
  local tokens = bucket(tonumber(ARGV[2]), tonumber(ARGV[3]))
  return {1, math.floor(tokens * 1000), 0, tonumber(redis.call('GET', KEYS[2]) or '0')}
elseif mode == 'reviews' then
  local n, limit, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used + n > limit then return {0, used} end
  used = redis.call('INCRBY', KEYS[2], n)
  redis.call('EXPIRE', KEYS[2], ttl)
  return {1, used}
elseif mode == 'refund' then
  local used = redis.call('DECRBY', KEYS[2], tonumber(ARGV[2]))
  if used < 0 then redis.call('SET', KEYS[2], 0, 'KEEPTTL') used = 0 end
  return {1, used}
elseif mode == 'cooldown' then
  if redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[2]), 'NX') then return {1, 0} end
  return {0, math.max(1, redis.call('PTTL', KEYS[1]))}
end
return redis.error_reply('key-limits: unknown mode ' .. tostring(mode))
`;
