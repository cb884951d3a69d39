-- Reads what dashboards show: grants in the last full second and the last
-- ten full seconds (fleet-wide, by slot time), and the pause, if any.
--
-- KEYS[1] state hash, KEYS[2] granted hash (see reserve.lua)
-- Returns { now µs, pausedUntil µs or 0, last second, last 10 s }

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local second = math.floor(now / 1000000)

local paused = tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0
if paused <= now then paused = 0 end

local ring = {}
local flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do ring[flat[i]] = tonumber(flat[i + 1]) end

local lastSecond, last10 = 0, 0
for s = second - 10, second - 1 do
  local i = s % 16
  if ring['s' .. i] == s then
    local c = ring['c' .. i] or 0
    last10 = last10 + c
    if s == second - 1 then lastSecond = c end
  end
end
return { now, paused, lastSecond, last10 }
