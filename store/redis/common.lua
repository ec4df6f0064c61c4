-- Shared by every script of redisstore; each script is this file followed by
-- its own body. KEYS[1] is one name's log: a sorted set with one member per
-- run of units put under one item name at one millisecond. The score is the
-- timestamp; the member is a 24-byte header packed big-endian by the struct
-- library, "<before><after><ts>", followed by the item name: before is the
-- number of units stored ahead of the run (a running total), after the
-- running total through the run (so the run's weight is after - before), ts
-- the run's timestamp again (so that no read needs WITHSCORES). Big-endian
-- unsigned totals sort bytewise as numbers, so the order by (score, member)
-- is also the order by before: the units inside a window are the log's
-- total (the newest run's after) minus the before of the window's first
-- member, and the k-th newest unit is found by its running total. Packing
-- costs a third of what formatting and parsing decimal fields did.
--
-- Every number here stays below 2^53, so Lua's doubles hold it exactly, and
-- redis.call sends a number argument as "%.17g", its exact decimal form; a
-- number concatenated into a string (as for an exclusive bound) goes through
-- num, since Lua's own conversion keeps only 14 digits.
local key = KEYS[1]
local sub = string.sub
local pack, unpack = struct.pack, struct.unpack
local header = '>I8I8i8'

local function num(x)
  return string.format('%d', x)
end

local function entry(before, after, ts, name)
  return pack(header, before, after, ts) .. name
end

local function bef(m)
  return (unpack('>I8', m))
end

local function aft(m)
  return (unpack('>I8', m, 9))
end

local function stamp(m)
  return (unpack('>i8', m, 17))
end

-- itemName returns the item name of the run m.
local function itemName(m)
  return sub(m, 25)
end

-- newest returns the newest run's timestamp, the log's total and the run's
-- member, or nil for an empty log.
local function newest()
  local m = redis.call('ZRANGE', key, -1, -1)[1]
  if m == nil then
    return nil, 0, nil
  end
  local _, after, ts = unpack(header, m)
  return ts, after, m
end

-- find returns the member and timestamp of the run that holds unit u (its
-- running ordinal), or nil when u is no longer stored: a binary search by
-- running total over ranks.
local function find(u)
  local n = redis.call('ZCARD', key)
  if n == 0 or u < 0 then
    return nil
  end
  local m = redis.call('ZRANGE', key, 0, 0)[1]
  if bef(m) > u then
    return nil
  end
  local lo, hi = 0, n - 1
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    m = redis.call('ZRANGE', key, mid, mid)[1]
    if bef(m) <= u then
      lo = mid
    else
      hi = mid - 1
    end
  end
  m = redis.call('ZRANGE', key, lo, lo)[1]
  return m, stamp(m)
end

-- clock reads the server's clock in milliseconds.
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
