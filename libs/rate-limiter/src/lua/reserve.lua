-- Reserves send slots on a key's shared two-dimensional schedule (contract
-- C3, issues 11 and 12), and applies what processes give back and settle.
--
-- Requests: slots `iv` µs apart (iv = window / rps), each handed out once,
-- so no window of `w` µs (1 s + margin) holds more than rps slots.
-- Tokens: a log of (slot, tokens) for the last window. A slot s carrying n
-- tokens is placed only where the tokens of every log entry after s − w,
-- plus n, stay within `tpw` (tokens per window): since slots are placed in
-- time order, that covers every window ending at s, hence every window. A
-- pacing cursor (tokens × w / (tpw × pace)) spreads token-heavy calls so
-- the exact check does not turn into bursts.
-- Both limits are scaled by the ramp (cold start, after a pause) and by
-- 429 cuts; vip demands are placed first and may reserve further ahead
-- (`hv`) than normal ones (`hn`, or `ho` for a lane above its minimum share
-- while another lane below its own wants more).
--
-- KEYS[1] state hash (see README: Redis keys)
-- KEYS[2] free zset: slots given back unused, member "slot:tokens"
-- KEYS[3] granted hash: per-second grants and tokens, a ring of 16 (s<i>, c<i>, t<i>)
-- KEYS[4] token log zset: member "slot:tokens", score slot
-- KEYS[5] lanes hash (see include/lanes.lua)
-- ARGV (flat: cjson.decode would cost more than the rest of the script):
--   1..16  config: iv, w, tpw, hv, hn, ho, tv, tn, fence, ramp, floor, cold, rec, pace, recheck, id
--   17     this caller's normal horizon µs ('' for hn), 18 lane, 19 the lane's minimum share
--   20..23 counts: vip demands, normal demands, releases, adjustments;
--   24 how many of the normal demands, from the first, are held in place
--   (passed over long enough: placed in order, and nothing may delay them);
--   25 L: other lanes among the normal demands (token limit only), then L ×
--   (lane, minimum share); then the vip demands' tokens, the normal ones', when
--   L > 0 each normal demand's lane (0: ARGV[18], i: the i-th other lane),
--   releases (slot, tokens), adjustments (slot, token delta, 1 if the request
--   was never sent), then the lead µs: no new slot before now + lead (the
--   caller's round trip, so a slot on an idle schedule is not late on arrival),
--   then the extension µs the caller asks for its slots (see "Extensions")
-- Returns { now, vipTurn|-1, normalTurn|-1, paused|0, flags (1 fenced, 2 halted),
--           previous id, halt reason|'', nextProbe|0, requests factor ppm,
--           tokens factor ppm, released, n, then n × (slot, tokens, class (0 vip, 1 normal), index (1-based), probe, extension µs) }
--
-- Extensions (issue 12 item 4): a grant may come up to the margin after its
-- slot. A process whose event loop runs late asks for an extension X; while
-- the schedule is idle (fewer than half the limit granted in the last
-- second), each new slot s gets it: it may be used until s + X + margin.
-- That is safe because (a) its token entry is logged at s + X, checked at s
-- (every entry after s - w); the process settles and gives the slot back as
-- s + X (a slot offered again there is still inside its range; the log's
-- member format stays "time:tokens", so a script of the previous version
-- reads it), and (b) a skip is recorded at s + X: the first
-- slot placed after the slot that passes s + X comes two spacings after it.
-- Every window holding the late grant but not s then lacks one slot of the
-- schedule (the gap lies within [s + X, s + w)), or, if the schedule stayed
-- idle past it, holds at most ~2X/iv slots besides; X <= w/4 keeps that far
-- below the limit. An extension costs one slot only if the schedule fills.

-- #include common
-- #include lanes

local CFG = { 'iv', 'w', 'tpw', 'hv', 'hn', 'ho', 'tv', 'tn', 'fence', 'ramp', 'floor', 'cold', 'rec', 'pace', 'recheck' }
local cfg = {}
for i, name in ipairs(CFG) do cfg[name] = tonumber(ARGV[i]) end
cfg.id = ARGV[16]
local req = { hn = tonumber(ARGV[17]), lane = ARGV[18], share = tonumber(ARGV[19]) or 0,
  held = tonumber(ARGV[24]) or 0, vip = {}, normal = {}, normalLane = {}, release = {}, adjust = {} }
-- The lanes of this call's normal demands: [1] the caller's lane, then the others.
req.lanes = { { name = req.lane or 'default', share = req.share } }
do
  local nv, nn, nr, na = tonumber(ARGV[20]), tonumber(ARGV[21]), tonumber(ARGV[22]), tonumber(ARGV[23])
  local nl = tonumber(ARGV[25]) or 0
  local i = 26
  for _ = 1, nl do req.lanes[#req.lanes + 1] = { name = ARGV[i], share = tonumber(ARGV[i + 1]) or 0 }; i = i + 2 end
  for _ = 1, nv do req.vip[#req.vip + 1] = tonumber(ARGV[i]); i = i + 1 end
  for _ = 1, nn do req.normal[#req.normal + 1] = tonumber(ARGV[i]); i = i + 1 end
  for k = 1, nn do
    if nl > 0 then req.normalLane[k] = tonumber(ARGV[i]) + 1; i = i + 1 else req.normalLane[k] = 1 end
  end
  for _ = 1, nr do req.release[#req.release + 1] = { tonumber(ARGV[i]), tonumber(ARGV[i + 1]) }; i = i + 2 end
  for _ = 1, na do req.adjust[#req.adjust + 1] = { tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]) }; i = i + 3 end
  req.lead = tonumber(ARGV[i]) or 0
  req.ext = tonumber(ARGV[i + 1]) or 0
end

local now = redisNow()
local sid = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)') or ''
local st = hmget(KEYS[1], { 'tat', 'ttat', 'last', 'paused', 'cv', 'cvAt', 'seq', 'sid', 'ramp', 'cutR', 'cutRAt', 'cutT', 'cutTAt',
  'halted', 'nextProbe', 'probeEvery', 'lastSlot', 'id', 'skips' })
local tat = tonumber(st.tat)
local ttat = tonumber(st.ttat) or 0
local last = tonumber(st.last) or now
local paused = tonumber(st.paused) or 0
-- Turn cursors count slots (seq: slots placed so far), so a change of
-- spacing (ramp, cut) does not leave turns far in the future.
local seq = tonumber(st.seq) or 0
local cv = { n = tonumber(st.cv) or 0, at = tonumber(st.cvAt) or 0 }
local rampStart = tonumber(st.ramp)
local cutR, cutRAt = tonumber(st.cutR), tonumber(st.cutRAt) or 0
local cutT, cutTAt = tonumber(st.cutT), tonumber(st.cutTAt) or 0
local nextProbe = tonumber(st.nextProbe)
local lastSlot = tonumber(st.lastSlot)
-- Pending skips (see Extensions), ascending µs.
local skips = {}
for v in string.gmatch(st.skips or '', '%d+') do skips[#skips + 1] = tonumber(v) end
local halted = st.halted
local W = cfg.w
local T = cfg.tpw
local flags = 0

if tat ~= nil and now < last then
  -- The clock stepped back: move the schedule by the step we can see (at most
  -- the real one, so slots only get later) to keep its place in real time.
  -- Token log entries stay on the old time line: they only look later, so
  -- they count against more windows, never fewer.
  local step = last - now
  tat = tat - step
  ttat = ttat - step
  if paused > 0 then paused = paused - step end
  if rampStart then rampStart = rampStart - step end
  if cutR then cutRAt = cutRAt - step end
  if cutT then cutTAt = cutTAt - step end
  if nextProbe then nextProbe = nextProbe - step end
  if lastSlot then lastSlot = lastSlot - step end
  for k = 1, #skips do skips[k] = skips[k] - step end
  redis.call('DEL', KEYS[2])
end
last = math.max(last, now)

if tat == nil or st.sid ~= sid then
  -- The state is missing (new key, FLUSH, restart without persistence) or
  -- was written by another server (failover to a replica, restart from the
  -- append-only file): the grants of the last window may be unknown here.
  -- No grant for one window (past every slot a process may still hold), so
  -- no window can hold grants of both schedules; then the ramp.
  local start = now + cfg.fence
  tat = math.max(tat or 0, start)
  ttat = math.max(ttat, start)
  rampStart = start
  lastSlot = start
  redis.call('DEL', KEYS[2], KEYS[4])
  skips = {}
  flags = flags + 1
end

local from = math.max(now, paused)
if lastSlot ~= nil and lastSlot < now - cfg.cold then
  -- Cold: no grant for a while. Ramp up again instead of stepping to the limits.
  rampStart = from
end
-- Where this call's new slots may start: a round trip ahead (the lead), so
-- that on an idle schedule they reach the caller before their time. Placing
-- later never breaks a limit; what is pruned and the ramp still go by `from`.
local place = math.max(from, now + math.max(0, math.min(req.lead, cfg.hv)))

-- The limits in force at time x: share of requests and tokens (ramp × cut),
-- slot spacing, tokens per window, and µs of token pacing per token.
local function gRAt(x) return rampAt(cfg, rampStart, x) * cutAt(cfg, cutR, cutRAt, x) end
local function gTAt(x) return rampAt(cfg, rampStart, x) * cutAt(cfg, cutT, cutTAt, x) end
local function ivAt(x) return math.ceil(cfg.iv / gRAt(x)) end
local function capAt(x) return math.floor(T * gTAt(x)) end
local function tauAt(x)
  if T == 0 then return 0 end
  return W / (math.max(1, capAt(x)) * cfg.pace)
end

-- The token log of the current window (older entries can never matter again:
-- every slot from now on is >= from).
local E = {}
if T > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', fmt(from - W))
  local flat = redis.call('ZRANGE', KEYS[4], 0, -1)
  for i = 1, #flat do
    local s, n = string.match(flat[i], '^(%d+):(%d+)$')
    E[#E + 1] = { tonumber(s), tonumber(n), flat[i] }
  end
end
local function findEntry(slot)
  for i = #E, 1, -1 do
    if E[i][1] == slot then return E[i] end
  end
  return nil
end
-- windowSum() results until the log changes: best fit asks for the same
-- times once per distinct demand size (a window holds ~200 entries at 200 RPS).
local sums = {}
local function setEntry(e, n)
  e[2] = n
  e.dirty = true
  sums = {}
end
local function insertEntry(s, n)
  local i = #E
  while i > 0 and E[i][1] > s do i = i - 1 end
  table.insert(E, i + 1, { s, n, false, dirty = true })
  sums = {}
end
-- Tokens of every entry after s − W (entries after s too: they only make it stricter).
local function windowSum(s)
  local known = sums[s]
  if known then return known end
  local sum = 0
  for i = #E, 1, -1 do
    if E[i][1] > s - W then sum = sum + E[i][2] else break end
  end
  sums[s] = sum
  return sum
end
-- The earliest s >= s0 where n more tokens fit in the window ending at s.
local function tokenFit(s0, n)
  local limit = math.max(capAt(s0), n)
  local s = s0
  while true do
    local over = windowSum(s) + n - limit
    if over <= 0 then return s end
    for i = 1, #E do
      if E[i][1] > s - W then
        over = over - E[i][2]
        if over <= 0 then s = E[i][1] + W; break end
      end
    end
    if over > 0 then return nil end
  end
end

-- Per-second counts for stats(), batched per second.
local ringDelta = {}
local function ring(slot, dc, dt)
  local s = math.floor(slot / 1000000)
  local d = ringDelta[s] or { 0, 0 }
  d[1] = d[1] + dc
  d[2] = d[2] + dt
  ringDelta[s] = d
end

-- What processes settled or cancelled.
for _, a in ipairs(req.adjust or {}) do
  local slot, delta, cancel = a[1], a[2], a[3] == 1
  if T > 0 and delta ~= 0 then
    local e = findEntry(slot)
    if e then
      setEntry(e, math.max(0, e[2] + delta))
    elseif delta > 0 then
      -- Its window is past: charge the under-estimate to the pacing cursor,
      -- so the next grants wait for it (the minute stays within 60 windows).
      ttat = math.max(ttat, now) + delta * tauAt(now)
    end
  end
  ring(slot, cancel and -1 or 0, delta)
end

-- Slots given back unused: future ones (outside a pause) can be handed out
-- again and keep their tokens in the log; others are void.
local released = 0
for _, r in ipairs(req.release or {}) do
  local slot, n = r[1], r[2]
  local e = T > 0 and findEntry(slot) or nil
  if slot >= from then
    redis.call('ZADD', KEYS[2], fmt(slot), fmt(slot) .. ':' .. fmt(n))
    released = released + 1
  elseif e then
    setEntry(e, 0)
  end
  ring(slot, -1, -n)
end

-- Lanes: a lane over its minimum share while another wants more below its
-- own reaches a shorter horizon (ho), so the starved lane's demands land first.
local lanes, forgotten = readLanes(KEYS[5], now)
local lane = req.lane or 'default'
local function laneHorizon(name, share)
  local h = req.hn or cfg.hn
  local mine = lanes[name] or { share = 0 }
  for other, l in pairs(lanes) do
    if other ~= name and l.wanting and l.share < l.min then
      if mine.share >= (share or 0) then return h * cfg.ho / cfg.hn end
      break
    end
  end
  return h
end
local normalHorizon = req.hn or cfg.hn
if #(req.normal or {}) > 0 then
  -- A lane whose horizon is cut yields to the others in best fit too (rank 0).
  for _, l in ipairs(req.lanes) do
    l.horizon = laneHorizon(l.name, l.share)
    l.rank = l.horizon < normalHorizon and 0 or 1
  end
  normalHorizon = req.lanes[1].horizon
end
local laneCursor = { n = (lanes[lane] and lanes[lane].c) or 0, at = (lanes[lane] and lanes[lane].t) or 0 }

-- Extensions (see the top): only while the schedule is idle, at most w/4,
-- and while few skips are pending. Skips whose windows are past are dropped.
while #skips > 0 and skips[1] < now - W do table.remove(skips, 1) end
local extUs = 0
if req.ext > 0 and #skips < 512 then
  local sec = math.floor(now / 1000000)
  local r = redis.call('HMGET', KEYS[3], 's' .. (sec % 16), 'c' .. (sec % 16), 's' .. ((sec - 1) % 16), 'c' .. ((sec - 1) % 16))
  local c0 = tonumber(r[1]) == sec and (tonumber(r[2]) or 0) or 0
  local c1 = tonumber(r[3]) == sec - 1 and (tonumber(r[4]) or 0) or 0
  -- About the last second's grants (the current one's reserved slots included).
  local recent = c0 + c1 * (1 - (now % 1000000) / 1000000)
  if recent < 0.5 * W / ivAt(now) then extUs = math.min(math.floor(req.ext), math.floor(W / 4)) end
end
-- The next new slot must leave a gap: the last slot passed a pending skip.
local function skipDue()
  return #skips > 0 and lastSlot ~= nil and lastSlot >= skips[1]
end

-- Free slots in reach, earliest first.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(from))
local FREE = {}
local freeFlat = redis.call('ZRANGEBYSCORE', KEYS[2], fmt(from), fmt(now + cfg.hv), 'LIMIT', 0, 64)
for i = 1, #freeFlat do
  local s, n = string.match(freeFlat[i], '^(%d+):(%d+)$')
  FREE[#FREE + 1] = { tonumber(s), tonumber(n), freeFlat[i] }
end

-- Where demand n could go within `limit`: { s, free entry or nil }, or nil and the earliest s.
local function candidate(n, limit)
  for _, f in ipairs(FREE) do
    if not f.used and f[1] >= place and f[1] <= limit and (T == 0 or f[2] >= n) then return { f[1], f } end
  end
  local s = math.max(tat, place)
  local paceBase = s
  if T > 0 and n > 0 then
    s = math.max(s, ttat)
    paceBase = s
    s = tokenFit(s, n)
    if s == nil then return nil, math.huge end
  end
  -- Later only: the tokens still fit (fewer log entries reach the window).
  local skip = skipDue()
  if skip then s = math.max(s, lastSlot + 2 * ivAt(lastSlot)) end
  if s > limit then return nil, s end
  return { s, nil, paceBase, skip = skip }
end

local function commit(c, n)
  local s, f = c[1], c[2]
  if f then
    f.used = true
    redis.call('ZREM', KEYS[2], f[3])
    if T > 0 then
      local e = findEntry(s)
      if e then setEntry(e, n) elseif n > 0 then insertEntry(s, n) end
    end
  else
    tat = s + ivAt(s)
    seq = seq + 1
    if c.skip then table.remove(skips, 1) end
    local x = extUs
    if T > 0 and n > 0 then
      ttat = c[3] + n * tauAt(s)
      -- An extended slot's tokens are logged at its latest use (checked at s: see the top).
      insertEntry(s + x, n)
    end
    if x > 0 then
      local k = #skips
      while k > 0 and skips[k] > s + x do k = k - 1 end
      table.insert(skips, k + 1, s + x)
    end
    c.ext = x
  end
  ring(s, 1, n)
  if lastSlot == nil or s > lastSlot then lastSlot = s end
end

local granted = {}

-- How far ahead a demand of n tokens may be placed: the class's horizon plus
-- the demand's own token spacing, or a token-heavy call would only fit in
-- the moment its turn comes and miss it at the slightest change.
local function reach(horizon, n)
  return horizon + n * tauAt(now)
end

-- Best fit reaches one more token spacing than the turn is computed for: a
-- process back at its turn sees more openings to choose from and claims room
-- before it idles (4 processes: the room left idle fell from ≈ 3 % to ≈ 1 %;
-- turns computed with this reach too brought more calls and more idle room).
local function fitReach(horizon, n)
  return reach(horizon, n) + n * tauAt(now)
end

-- Places a class's demands in order; a later demand may go before an unmet
-- earlier one only where it does not delay it (backfilling): the earlier
-- one still fits at its own earliest time with the later one's tokens added.
-- Returns whether some demand stayed unmet, the earliest time of the first
-- unmet one, and the mean tokens of the unmet ones.
local function placeClass(list, class, horizon, base)
  local head = nil
  local unmetTokens, unmetCount = 0, 0
  for idx, n in ipairs(list) do
    local c, earliest = nil, nil
    local limit = base + reach(horizon, n)
    -- Past the request cursor's reach only a free slot can still serve.
    local reachable = math.max(tat, place) <= limit or #FREE > 0
    if reachable then c, earliest = candidate(n, limit) end
    if c and head and T > 0 and windowSum(head.s) + n + head.n > math.max(capAt(head.s), head.n) then c = nil end
    if c then
      commit(c, n)
      granted[#granted + 1] = { c[1], n, class, idx, 0, c.ext or 0 }
    else
      unmetTokens = unmetTokens + n
      unmetCount = unmetCount + 1
      if head == nil then head = { s = earliest or math.max(tat, place), n = n } end
    end
  end
  if unmetCount == 0 then return false end
  return true, head, unmetTokens / unmetCount, unmetCount == #list
end

-- Best fit (normal token demands): each opening goes to the demand that can
-- be placed earliest, and among those to the largest, so the room a larger
-- call cannot use yet goes to a smaller one instead of idling until the next
-- entry leaves the window. The first `held` demands (passed over for long
-- enough, the caller says) are held in place: in order, each at its own
-- earliest time, and another demand goes first only where it does not delay
-- it. Same returns as placeClass; the head for the turn is the unmet demand
-- that could be placed earliest.
local function placeBestFit(list, class, horizonOf, rankOf, base, held)
  local open = {}
  for idx = 1, #list do open[#open + 1] = idx end
  local placed = 0
  local function try(idx)
    local n = list[idx]
    local limit = base + fitReach(horizonOf(idx), n)
    if not (math.max(tat, place) <= limit or #FREE > 0) then return nil, math.max(tat, place) end
    return candidate(n, limit)
  end
  while #open > 0 do
    local h = open[1] <= held and open[1] or nil
    local hc, hs = nil, nil
    if h then
      local e
      hc, e = try(h)
      hs = hc and hc[1] or e
    end
    local best, bestPos = nil, nil
    -- Fast path (the common case when requests bind): with nothing held and
    -- no free slot, no token demand can go before the cursors (s0), and
    -- every one that fits there fits by the room at s0: the largest of them.
    local freeLeft = false
    for _, f in ipairs(FREE) do
      if not f.used then freeLeft = true; break end
    end
    if h == nil and not freeLeft and not skipDue() then
      local s0 = math.max(tat, place, ttat)
      local room = capAt(s0) - windowSum(s0)
      for pos, idx in ipairs(open) do
        local n = list[idx]
        -- A demand without tokens could go before ttat: the general path decides.
        if n == 0 then best = nil; break end
        local rank = rankOf(idx)
        if n <= room and (best == nil or rank > best.rank or (rank == best.rank and n > best.n)) and s0 <= base + fitReach(horizonOf(idx), n) then
          best, bestPos = { c = { s0, nil, s0 }, n = n, idx = idx, rank = rank }, pos
        end
      end
    end
    local seen = {}
    for pos, idx in ipairs(best == nil and open or {}) do
      local n = list[idx]
      local hz = horizonOf(idx)
      if idx ~= h and not (seen[hz] and seen[hz][n]) then
        seen[hz] = seen[hz] or {}
        seen[hz][n] = true
        local c = try(idx)
        if c and h then
          -- Only before the held demand, and only where it still fits at its time.
          if not (c[1] < hs and windowSum(hs) + n + list[h] <= math.max(capAt(hs), list[h])) then c = nil end
        end
        local rank = rankOf(idx)
        if c and (best == nil or c[1] < best.c[1] or (c[1] == best.c[1] and (rank > best.rank or (rank == best.rank and n > best.n)))) then
          best, bestPos = { c = c, n = n, idx = idx, rank = rank }, pos
        end
      end
    end
    if best == nil and hc then best, bestPos = { c = hc, n = list[h], idx = h }, 1 end
    if best == nil then break end
    commit(best.c, best.n)
    granted[#granted + 1] = { best.c[1], best.n, class, best.idx, 0, best.c.ext or 0 }
    table.remove(open, bestPos)
    placed = placed + 1
  end
  if #open == 0 then return false end
  -- The head of the turn: the held demand, else the unmet one placeable earliest.
  local head, sum, earliest = nil, 0, {}
  for _, idx in ipairs(open) do
    local n = list[idx]
    sum = sum + n
    if earliest[n] == nil then
      local _, e = try(idx)
      earliest[n] = e or math.max(tat, place)
    end
    local e = earliest[n]
    if head == nil or (not (head.held) and e < head.s) then head = { s = e, n = n, held = idx <= held } end
  end
  return true, head, sum / #open, placed == 0
end

local vipList = req.vip or {}
local normalList = req.normal or {}
local vipTurn, normalTurn = -1, -1

local function turn(head, meanTokens, turnSlots, horizon, cursor, nonePlaced)
  -- A turn is worth turnSlots demands at the request spacing, fewer for
  -- token-heavy ones: as many as fit in the same time at their spacing. Callers
  -- already told to come back hold the slots up to the cursor: this one's
  -- turn starts after them, when its head (and the rest of its lease) fits
  -- in reach. Once the last turn given out is due, nobody holds one any more.
  local spacing = math.max(ivAt(head.s), meanTokens * tauAt(head.s))
  local slots = math.max(1, math.min(turnSlots, math.floor(turnSlots * ivAt(head.s) / spacing)))
  local ticket = seq
  -- (After a fence the cursors may belong to another state: start afresh.)
  if now < cursor.at and flags % 2 == 0 then ticket = math.max(cursor.n, seq) end
  local at = head.s + (ticket - seq + slots - 1) * spacing - reach(horizon, head.n)
  -- A call that got nothing comes back no sooner than a spacing later (never spins).
  if nonePlaced then at = math.max(at, now + math.min(spacing, 10000)) end
  at = math.max(at, now)
  cursor.n = ticket + slots
  cursor.at = at
  return at
end

if halted then
  flags = flags + 2
  -- Halted: one probe grant fleet-wide per probeEvery, nothing else.
  local probeDue = nextProbe == nil or now >= nextProbe
  local list, class = vipList, 0
  if #list == 0 then list, class = normalList, 1 end
  if probeDue and #list > 0 then
    local c = candidate(list[1], now + cfg.hv)
    if c then
      commit(c, list[1])
      granted[#granted + 1] = { c[1], list[1], class, 1, 1, c.ext or 0 }
      nextProbe = now + (tonumber(st.probeEvery) or 60000000)
    end
  end
  local back = math.min(nextProbe or now, now + cfg.recheck)
  if #vipList > 0 then vipTurn = back end
  if #normalList > 0 then normalTurn = back end
else
  -- vip reaches past whatever normal callers already hold: it goes next.
  local unmet, head, meanTokens, nonePlaced = placeClass(vipList, 0, cfg.hv, math.max(now, tat, ttat))
  if unmet then
    vipTurn = turn(head, meanTokens, cfg.tv, cfg.hv, cv, nonePlaced)
  end
  if T > 0 then
    unmet, head, meanTokens, nonePlaced = placeBestFit(normalList, 1, function(idx) return req.lanes[req.normalLane[idx]].horizon end,
      function(idx) return req.lanes[req.normalLane[idx]].rank end, now, req.held)
  else
    unmet, head, meanTokens, nonePlaced = placeClass(normalList, 1, normalHorizon, now)
  end
  if unmet then
    normalTurn = turn(head, meanTokens, cfg.tn, normalHorizon, laneCursor, nonePlaced)
  end
end

-- Write back the token log.
if T > 0 then
  for _, e in ipairs(E) do
    if e.dirty then
      if e[3] then redis.call('ZREM', KEYS[4], e[3]) end
      redis.call('ZADD', KEYS[4], fmt(e[1]), fmt(e[1]) .. ':' .. fmt(e[2]))
    end
  end
end

-- Per-second counts, a ring of 16 seconds.
for s, d in pairs(ringDelta) do
  local i = s % 16
  local cur = redis.call('HMGET', KEYS[3], 's' .. i, 'c' .. i, 't' .. i)
  if tonumber(cur[1]) == s then
    redis.call('HSET', KEYS[3], 'c' .. i, fmt(math.max(0, (tonumber(cur[2]) or 0) + d[1])),
      't' .. i, fmt(math.max(0, (tonumber(cur[3]) or 0) + d[2])))
  elseif d[1] > 0 or d[2] > 0 then
    redis.call('HSET', KEYS[3], 's' .. i, fmt(s), 'c' .. i, fmt(math.max(0, d[1])), 't' .. i, fmt(math.max(0, d[2])))
  end
end

-- Lanes: usage of normal grants, wanting, the caller lane's share and cursor.
if #normalList > 0 or #forgotten > 0 then
  if #forgotten > 0 then redis.call('HDEL', KEYS[5], unpack(forgotten)) end
  if #normalList > 0 then
    -- Per lane of the call: requests and tokens granted, and whether some of its demands stayed unmet.
    local dr, dk, unmetIn = {}, {}, {}
    for k = 1, #req.lanes do dr[k], dk[k] = 0, 0 end
    local placedIdx = {}
    for _, g in ipairs(granted) do
      if g[3] == 1 then
        local k = req.normalLane[g[4]]
        dr[k] = dr[k] + 1
        dk[k] = dk[k] + g[2]
        placedIdx[g[4]] = true
      end
    end
    for idx = 1, #normalList do
      if not placedIdx[idx] then unmetIn[req.normalLane[idx]] = true end
    end
    for k, rl in ipairs(req.lanes) do
      local name = rl.name
      local l = lanes[name] or { r = 0, k = 0, w = 0 }
      local w = l.w
      if (k == 1 and normalTurn ~= -1) or (k > 1 and unmetIn[k]) then w = now end
      local fields = { 'm:' .. name, tostring(rl.share or 0), 'r:' .. name, tostring(l.r + dr[k]),
        'k:' .. name, tostring(l.k + dk[k]), 'u:' .. name, fmt(now), 'w:' .. name, fmt(w) }
      if k == 1 then
        fields[#fields + 1] = 'c:' .. name; fields[#fields + 1] = fmt(laneCursor.n)
        fields[#fields + 1] = 't:' .. name; fields[#fields + 1] = fmt(laneCursor.at)
      end
      redis.call('HSET', KEYS[5], unpack(fields))
    end
  end
end

local skipText = {}
for k = 1, #skips do skipText[k] = fmt(skips[k]) end
local fields = { 'tat', fmt(tat), 'ttat', fmt(ttat), 'last', fmt(last), 'paused', fmt(paused), 'cv', fmt(cv.n), 'cvAt', fmt(cv.at), 'seq', fmt(seq),
  'sid', sid, 'lastSlot', fmt(lastSlot), 'id', cfg.id, 'skips', table.concat(skipText, ',') }
if rampStart then fields[#fields + 1] = 'ramp'; fields[#fields + 1] = fmt(rampStart) end
if nextProbe then fields[#fields + 1] = 'nextProbe'; fields[#fields + 1] = fmt(nextProbe) end
if cutR then fields[#fields + 1] = 'cutRAt'; fields[#fields + 1] = fmt(cutRAt) end
if cutT then fields[#fields + 1] = 'cutTAt'; fields[#fields + 1] = fmt(cutTAt) end
redis.call('HSET', KEYS[1], unpack(fields))

local reply = { now, vipTurn, normalTurn, 0, flags, st.id or '', halted or '', nextProbe or 0,
  math.floor(gRAt(from) * 1000000), math.floor(gTAt(from) * 1000000), released, #granted }
if paused > now then reply[4] = paused end
for _, g in ipairs(granted) do
  for _, v in ipairs(g) do reply[#reply + 1] = v end
end
return reply
