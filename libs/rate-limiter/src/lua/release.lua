-- Gives back slots that a process reserved but will not use (its callers
-- aborted, it is closing, or the reply came too late to use them safely).
-- The last slots of the schedule are simply taken off it; others go to the
-- free set, where the next reservation of any process takes them first.
-- Either way no slot is ever handed out twice.
--
-- KEYS[1] state hash, KEYS[2] free zset, KEYS[3] granted hash (see reserve.lua)
-- ARGV[1] interval µs
-- ARGV[2..] the slots (µs)
-- Returns the number of slots that can be handed out again.

local interval = tonumber(ARGV[1])
local function fmt(n) return string.format('%.0f', n) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local st = redis.call('HMGET', KEYS[1], 'tat', 'paused')
local tat = tonumber(st[1])
-- Without a state the slots belong to a schedule Redis no longer has.
if tat == nil then return 0 end
local from = math.max(now, tonumber(st[2]) or 0)

local slots = {}
for i = 2, #ARGV do slots[#slots + 1] = tonumber(ARGV[i]) end
table.sort(slots, function(a, b) return a > b end)

local reusable = 0
local perSecond = {}
for _, x in ipairs(slots) do
  local s = math.floor(x / 1000000)
  perSecond[s] = (perSecond[s] or 0) + 1
  if x >= from then
    reusable = reusable + 1
    if x + interval == tat then
      tat = x
    else
      redis.call('ZADD', KEYS[2], fmt(x), fmt(x))
    end
  end
end
-- Free slots that now end the schedule come off it too.
while redis.call('ZSCORE', KEYS[2], fmt(tat - interval)) do
  redis.call('ZREM', KEYS[2], fmt(tat - interval))
  tat = tat - interval
end
redis.call('HSET', KEYS[1], 'tat', fmt(tat))

-- They were counted as grants when reserved.
for s, c in pairs(perSecond) do
  local i = s % 16
  local cur = redis.call('HMGET', KEYS[3], 's' .. i, 'c' .. i)
  if tonumber(cur[1]) == s then
    redis.call('HSET', KEYS[3], 'c' .. i, fmt(math.max(0, (tonumber(cur[2]) or 0) - c)))
  end
end
return reusable
