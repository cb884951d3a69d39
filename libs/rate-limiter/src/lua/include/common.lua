-- Shared by every script (inlined by scripts/embed-lua.ts at "-- #include common").
-- Every µs value is passed to redis.call through fmt(): Lua would otherwise
-- format numbers with 14 significant digits and lose µs.
local function fmt(n) return string.format('%.0f', n) end

local function redisNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- HMGET into a table by field name; missing fields are nil.
local function hmget(key, fields)
  local raw = redis.call('HMGET', key, unpack(fields))
  local out = {}
  for i, f in ipairs(fields) do
    if raw[i] then out[f] = raw[i] end
  end
  return out
end

-- The share of a budget in force at time x (µs), given the state and cfg:
-- the ramp (floor → 1 over cfg.ramp from st.ramp) times the dimension's 429
-- cut (f0 at cutAt, climbing back to 1 over cfg.rec).
local function rampAt(cfg, rampStart, x)
  if cfg.ramp <= 0 or rampStart == nil then return 1 end
  local f = cfg.floor + (1 - cfg.floor) * (x - rampStart) / cfg.ramp
  return math.max(cfg.floor, math.min(1, f))
end

local function cutAt(cfg, f0, cutFrom, x)
  if f0 == nil then return 1 end
  if x <= cutFrom then return f0 end
  return math.min(1, f0 + (1 - f0) * (x - cutFrom) / cfg.rec)
end
