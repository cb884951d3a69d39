-- Reserves up to `wanted` send slots on a key's shared schedule (contract C3).
--
-- The schedule is a sequence of slots `interval` µs apart on Redis' clock
-- (TIME: no client clock decides). interval = (1 s + margin) / rps, so no
-- window of 1 s + margin holds more than rps slots, and each slot is handed
-- out at most once. A caller only gets slots that start within `horizon` of
-- now: normal callers have a short horizon, vip callers a longer one, so a
-- vip reservation always lands before every normal reservation made after it.
-- A caller that wants more than it got is given a turn (a time to come back)
-- from a per-priority cursor, so waiting processes come back one after
-- another instead of all at once.
--
-- Every µs value is passed to redis.call through string.format('%.0f'):
-- Lua would otherwise format numbers with 14 significant digits and lose µs.
--
-- KEYS[1] state hash: tat (next free slot), last (latest TIME seen), paused
--         (no slot before it), cv / cn (turn cursor of vip / normal), rps
-- KEYS[2] free zset: slots given back unused, for anyone to take again
-- KEYS[3] granted hash: per-second grant counts, a ring of 16 (s<i>, c<i>)
-- ARGV[1] wanted slots (>= 1)
-- ARGV[2] interval µs
-- ARGV[3] horizon µs of the caller's priority
-- ARGV[4] slots the caller expects to want at its next turn
-- ARGV[5] cursor field of the caller's priority: 'cv' or 'cn'
-- ARGV[6] start delay µs when the state is missing (first use, or Redis lost
--         its data): beyond any slot a process may still hold
-- ARGV[7] the caller's rps (stored; the previous value is returned)
-- Returns { now, nextTurn or -1, pausedUntil or 0, previous rps as a string or '', slot... }

local wanted = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local turnSlots = tonumber(ARGV[4])
local cursorField = ARGV[5]
local initDelay = tonumber(ARGV[6])

local function fmt(n) return string.format('%.0f', n) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local st = redis.call('HMGET', KEYS[1], 'tat', 'last', 'paused', 'cv', 'cn', 'rps')
local tat = tonumber(st[1])
local last = tonumber(st[2]) or now
local paused = tonumber(st[3]) or 0
local cursor = { cv = tonumber(st[4]) or 0, cn = tonumber(st[5]) or 0 }
local previousRps = st[6] or ''

if tat == nil then
  -- Processes may still hold slots reserved from a state we no longer have.
  tat = now + initDelay
  redis.call('DEL', KEYS[2])
elseif now < last then
  -- The clock stepped back: move the schedule by the step we can see (at most
  -- the real one, so slots only get later) to keep its place in real time.
  local step = last - now
  last = now
  tat = tat - step
  if paused > 0 then paused = paused - step end
  cursor.cv = cursor.cv - step
  cursor.cn = cursor.cn - step
  redis.call('DEL', KEYS[2])
end

local from = math.max(now, paused)
local limit = now + horizon
local slots = {}

-- Slots given back come first: they are already on the schedule.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(from))
if limit >= from then
  local freed = redis.call('ZRANGEBYSCORE', KEYS[2], fmt(from), fmt(limit), 'LIMIT', 0, wanted)
  if #freed > 0 then
    redis.call('ZREM', KEYS[2], unpack(freed))
    for i = 1, #freed do slots[#slots + 1] = tonumber(freed[i]) end
  end
end

local base = math.max(tat, from)
local taken = false
while #slots < wanted and base <= limit do
  slots[#slots + 1] = base
  base = base + interval
  taken = true
end
if taken then tat = base end

-- Count grants per second of their slot, for stats().
local perSecond = {}
for i = 1, #slots do
  local s = math.floor(slots[i] / 1000000)
  perSecond[s] = (perSecond[s] or 0) + 1
end
for s, c in pairs(perSecond) do
  local i = s % 16
  local cur = redis.call('HMGET', KEYS[3], 's' .. i, 'c' .. i)
  if tonumber(cur[1]) == s then c = c + (tonumber(cur[2]) or 0) end
  redis.call('HSET', KEYS[3], 's' .. i, fmt(s), 'c' .. i, fmt(c))
end

local nextTurn = -1
if #slots < wanted then
  -- Come back when `turnSlots` more slots fit in the horizon, but not before
  -- the callers already told to come back.
  local fitAt = math.max(tat, from) + (turnSlots - 1) * interval - horizon
  nextTurn = math.max(fitAt, cursor[cursorField], now)
  cursor[cursorField] = nextTurn + turnSlots * interval
end

redis.call('HSET', KEYS[1], 'tat', fmt(tat), 'last', fmt(math.max(last, now)), 'paused', fmt(paused),
  'cv', fmt(cursor.cv), 'cn', fmt(cursor.cn), 'rps', ARGV[7])

local reply = { now, nextTurn, 0, previousRps }
if paused > now then reply[3] = paused end
for i = 1, #slots do reply[#reply + 1] = slots[i] end
return reply
