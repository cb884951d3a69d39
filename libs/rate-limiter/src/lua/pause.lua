-- Pauses every process on the key (a provider 429): no slot starts before
-- now + pause. The reserve script checks `paused` atomically; the message on
-- the key's channel tells the processes to drop the slots they already hold.
--
-- KEYS[1] state hash, KEYS[2] free zset (see reserve.lua)
-- ARGV[1] pause µs
-- ARGV[2] channel
-- ARGV[3] reason
-- Returns { now, pausedUntil } in µs, on the current time line.

local function fmt(n) return string.format('%.0f', n) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local st = redis.call('HMGET', KEYS[1], 'paused', 'last')
local last = tonumber(st[2]) or now
-- If the clock stepped back since `last`, the state is still on the old time
-- line (reserve.lua moves it): put the pause on that line too.
local skew = math.max(0, last - now)
local paused = math.max(tonumber(st[1]) or 0, now + skew + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'paused', fmt(paused), 'last', fmt(math.max(last, now)))
-- Slots given back inside the pause must not be handed out again.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(paused))

redis.call('PUBLISH', ARGV[2], cjson.encode({ type = 'pause', remainingMs = (paused - skew - now) / 1000, reason = ARGV[3] }))
return { now, paused - skew }
