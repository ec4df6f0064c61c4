-- Shared by every script of redisstore; each script is this file followed by
-- its own body. KEYS[1] is one name's log: a sorted set with one member per
-- run of units put under one item name at one millisecond. The score is the
-- timestamp; the member is "<before> <weight> <item name>", where before is
-- the number of units stored ahead of the run (a running total, zero-padded
-- to 17 digits) and weight its units. Runs are kept so that the order by
-- (score, member) is also the order by before: the units inside a window
-- are the log's total minus the before of the window's first member, and
-- the k-th newest unit is found by its running total.
local key = KEYS[1]

local function num(x)
  return string.format('%d', x)
end

local function entry(before, weight, name)
  return string.format('%017d %d ', before, weight) .. name
end

-- parse returns a member's before, its weight and the index of the space
-- ahead of its item name.
local function parse(m)
  local sp = string.find(m, ' ', 19, true)
  return tonumber(string.sub(m, 1, 17)), tonumber(string.sub(m, 19, sp - 1)), sp
end

-- newest returns the newest run's timestamp, the log's total and the run's
-- member, or nil for an empty log.
local function newest()
  local r = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if r[1] == nil then
    return nil, 0, nil
  end
  local b, w = parse(r[1])
  return tonumber(r[2]), b + w, r[1]
end

-- find returns the member and timestamp of the run that holds unit u (its
-- running ordinal), or nil when u is no longer stored: a binary search by
-- running total over ranks.
local function find(u)
  local n = redis.call('ZCARD', key)
  if n == 0 or u < 0 then
    return nil
  end
  local r = redis.call('ZRANGE', key, 0, 0)
  if parse(r[1]) > u then
    return nil
  end
  local lo, hi = 0, n - 1
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    r = redis.call('ZRANGE', key, mid, mid)
    if parse(r[1]) <= u then
      lo = mid
    else
      hi = mid - 1
    end
  end
  r = redis.call('ZRANGE', key, lo, lo, 'WITHSCORES')
  return r[1], tonumber(r[2])
end

-- clock reads the server's clock in milliseconds.
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
