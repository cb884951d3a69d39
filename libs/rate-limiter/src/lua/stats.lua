-- Reads what dashboards and GET /v1/queues show: grants and tokens in the
-- last full second and the last ten full seconds (fleet-wide, by slot
-- time), the pause, the halt, the ramp and 429 cuts, and the lanes.
--
-- KEYS[1] state hash, KEYS[2] granted hash, KEYS[3] lanes hash (see reserve.lua)
-- ARGV[1] ramp µs, ARGV[2] floor, ARGV[3] rec µs (as in reserve.lua)
-- Returns { now, pausedUntil|0, halt reason|'', halted since|0, next probe|0,
--           grants last second, grants last 10 s, tokens last second, tokens last 10 s,
--           requests factor ppm, tokens factor ppm, full limits at (µs)|0, n lanes, then n × (lane, min ppm, share ppm, wanting) }

-- #include common
-- #include lanes

local cfg = { ramp = tonumber(ARGV[1]), floor = tonumber(ARGV[2]), rec = tonumber(ARGV[3]) }
local now = redisNow()
local second = math.floor(now / 1000000)
local st = hmget(KEYS[1], { 'paused', 'halted', 'haltedAt', 'nextProbe', 'ramp', 'cutR', 'cutRAt', 'cutT', 'cutTAt' })

local paused = tonumber(st.paused) or 0
if paused <= now then paused = 0 end

local ring = {}
local flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do ring[flat[i]] = tonumber(flat[i + 1]) end
local lastSecond, last10, lastTokens, tokens10 = 0, 0, 0, 0
for s = second - 10, second - 1 do
  local i = s % 16
  if ring['s' .. i] == s then
    local c, t = ring['c' .. i] or 0, ring['t' .. i] or 0
    last10 = last10 + c
    tokens10 = tokens10 + t
    if s == second - 1 then lastSecond, lastTokens = c, t end
  end
end

local rampStart = tonumber(st.ramp)
local cutR, cutRAt = tonumber(st.cutR), tonumber(st.cutRAt) or 0
local cutT, cutTAt = tonumber(st.cutT), tonumber(st.cutTAt) or 0
local gR = rampAt(cfg, rampStart, now) * cutAt(cfg, cutR, cutRAt, now)
local gT = rampAt(cfg, rampStart, now) * cutAt(cfg, cutT, cutTAt, now)
-- When both budgets are back to their full limits.
local fullAt = 0
if rampStart and cfg.ramp > 0 then fullAt = math.max(fullAt, rampStart + cfg.ramp) end
if cutR then fullAt = math.max(fullAt, cutRAt + cfg.rec) end
if cutT then fullAt = math.max(fullAt, cutTAt + cfg.rec) end
if fullAt <= now then fullAt = 0 end

local reply = { now, paused, st.halted or '', tonumber(st.haltedAt) or 0, tonumber(st.nextProbe) or 0,
  lastSecond, last10, lastTokens, tokens10, math.floor(gR * 1000000), math.floor(gT * 1000000), fullAt, 0 }
local lanes = readLanes(KEYS[3], now)
local n = 0
for lane, l in pairs(lanes) do
  n = n + 1
  for _, v in ipairs({ lane, math.floor(l.min * 1000000), math.floor(l.share * 1000000), l.wanting and 1 or 0 }) do reply[#reply + 1] = v end
end
reply[13] = n
return reply
