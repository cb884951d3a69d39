-- Pauses every process on the key (a provider 429): no slot starts before
-- now + pause, and the fleet ramps up again from there. A 429 for requests
-- or tokens also cuts that budget (× factor, recovering over cfg.rec); the
-- reserve script checks all of it atomically, and the message on the key's
-- channel tells the processes to drop the slots they already hold.
--
-- KEYS[1] state hash, KEYS[2] free zset (see reserve.lua)
-- ARGV[1] pause µs (0 with cause 'burst': restart the ramp only)
-- ARGV[2] channel
-- ARGV[3] reason
-- ARGV[4] cause: requests | tokens | burst | unknown
-- ARGV[5] factor, ARGV[6] min, ARGV[7] rec (µs): the cut and its recovery
-- Returns { now, pausedUntil } in µs, on the current time line.

-- #include common

local pauseUs = tonumber(ARGV[1])
local cause = ARGV[4]
local cfg = { factor = tonumber(ARGV[5]), min = tonumber(ARGV[6]), rec = tonumber(ARGV[7]) }
local now = redisNow()

local st = hmget(KEYS[1], { 'paused', 'last', 'cutR', 'cutRAt', 'cutT', 'cutTAt' })
local last = tonumber(st.last) or now
-- If the clock stepped back since `last`, the state is still on the old time
-- line (reserve.lua moves it): put the pause on that line too.
local skew = math.max(0, last - now)
local paused = math.max(tonumber(st.paused) or 0, now + skew + pauseUs)
local fields = { 'paused', fmt(paused), 'last', fmt(math.max(last, now)), 'ramp', fmt(paused) }

local function cut(f, at)
  local current = cutAt(cfg, tonumber(f), tonumber(at) or 0, now + skew)
  return math.max(cfg.min, current * cfg.factor)
end
if cause == 'requests' then
  for _, v in ipairs({ 'cutR', tostring(cut(st.cutR, st.cutRAt)), 'cutRAt', fmt(paused) }) do fields[#fields + 1] = v end
elseif cause == 'tokens' then
  for _, v in ipairs({ 'cutT', tostring(cut(st.cutT, st.cutTAt)), 'cutTAt', fmt(paused) }) do fields[#fields + 1] = v end
end
redis.call('HSET', KEYS[1], unpack(fields))
-- Slots given back inside the pause must not be handed out again.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(paused))

redis.call('PUBLISH', ARGV[2], cjson.encode({ type = 'pause', remainingMs = (paused - skew - now) / 1000, reason = ARGV[3], cause = cause }))
return { now, paused - skew }
