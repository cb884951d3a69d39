-- Halts or resumes LLM work on the key fleet-wide (quota exhausted, account
-- in arrears). While halted the reserve script grants nothing but one probe
-- per probeEvery; a resume lets the fleet ramp up from now.
--
-- KEYS[1] state hash
-- ARGV[1] 'halt' | 'resume'
-- ARGV[2] reason
-- ARGV[3] probe interval µs (halt)
-- ARGV[4] channel
-- Returns { now, halted since|0, next probe|0, 1 if the call changed the state else 0 }

-- #include common

local now = redisNow()
local st = hmget(KEYS[1], { 'halted', 'haltedAt', 'nextProbe' })

if ARGV[1] == 'halt' then
  local every = tonumber(ARGV[3])
  local since = tonumber(st.haltedAt) or now
  -- Halting again (e.g. the probe failed) keeps the probe schedule.
  local nextProbe = st.halted and tonumber(st.nextProbe) or (now + every)
  redis.call('HSET', KEYS[1], 'halted', ARGV[2], 'haltedAt', fmt(since), 'nextProbe', fmt(nextProbe), 'probeEvery', fmt(every))
  if not st.halted then
    redis.call('PUBLISH', ARGV[4], cjson.encode({ type = 'halt', reason = ARGV[2], probeEveryMs = every / 1000 }))
  end
  return { now, since, nextProbe, st.halted and 0 or 1 }
end

if not st.halted then return { now, 0, 0, 0 } end
redis.call('HDEL', KEYS[1], 'halted', 'haltedAt', 'nextProbe', 'probeEvery')
redis.call('HSET', KEYS[1], 'ramp', fmt(now))
redis.call('PUBLISH', ARGV[4], cjson.encode({ type = 'resume', reason = ARGV[2] }))
return { now, 0, 0, 1 }
