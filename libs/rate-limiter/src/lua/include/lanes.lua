-- Lane usage (inlined at "-- #include lanes"). The lanes hash holds per lane
-- L: m:L its minimum share, r:L / k:L requests / tokens granted, decayed
-- exponentially (time constant LANE_TAU_US), u:L when they were last
-- decayed, w:L when the lane last wanted more than it got, c:L / t:L its
-- turn cursor (slots) and the time of the last turn given out.
local LANE_TAU_US = 2000000
local LANE_WANTING_US = 1000000
-- A lane unseen for this long is forgotten (bounds the hash).
local LANE_FORGET_US = 60000000

-- Returns { [lane] = { min, r, k, share, wanting, cursor } } decayed to now,
-- and the list of fields of forgotten lanes.
local function readLanes(key, now)
  local flat = redis.call('HGETALL', key)
  local lanes = {}
  for i = 1, #flat, 2 do
    local kind, lane = string.match(flat[i], '^(%a):(.+)$')
    if kind then
      lanes[lane] = lanes[lane] or { min = 0, r = 0, k = 0, u = 0, w = 0, c = 0, t = 0 }
      local v = tonumber(flat[i + 1]) or 0
      if kind == 'm' then lanes[lane].min = v
      elseif kind == 'r' then lanes[lane].r = v
      elseif kind == 'k' then lanes[lane].k = v
      elseif kind == 'u' then lanes[lane].u = v
      elseif kind == 'w' then lanes[lane].w = v
      elseif kind == 'c' then lanes[lane].c = v
      elseif kind == 't' then lanes[lane].t = v end
    end
  end
  local forgotten = {}
  local sumR, sumK = 0, 0
  for lane, l in pairs(lanes) do
    local seen = math.max(l.u, l.w)
    if now - seen > LANE_FORGET_US then
      for _, kind in ipairs({ 'm', 'r', 'k', 'u', 'w', 'c', 't' }) do forgotten[#forgotten + 1] = kind .. ':' .. lane end
      lanes[lane] = nil
    else
      local decay = math.exp(-math.max(0, now - l.u) / LANE_TAU_US)
      l.r = l.r * decay
      l.k = l.k * decay
      l.u = now
      sumR = sumR + l.r
      sumK = sumK + l.k
    end
  end
  for _, l in pairs(lanes) do
    local sr = sumR > 0 and l.r / sumR or 0
    local sk = sumK > 0 and l.k / sumK or 0
    l.share = math.max(sr, sk)
    l.wanting = now - l.w <= LANE_WANTING_US
  end
  return lanes, forgotten
end
