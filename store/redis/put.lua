-- Judges a put with ratelimit.SlidingWindowLog's rules and stores it if
-- allowed. ARGV: mode ("n": PutNow, stamped with the server's clock; "p":
-- Put at ARGV[2]; "w": Waiting at ARGV[2], storing nothing), time, weight,
-- item name, the expiry margin of a written key in milliseconds (see
-- below), then each rate's limit and interval in milliseconds, by ascending
-- interval. Returns allowed (0 or 1), rate index (1-based), remaining,
-- retry-after in ms (-1 for never), reset-after in ms and time, packed as
-- six little-endian 8-byte integers (a bulk reply costs the server less
-- than an array). It needs Redis 5 or later, whose scripts replicate their
-- effects, so that reading TIME before a write is allowed.
--
-- The common paths cost one read of the newest run, TIME for PutNow, one
-- ZRANGEBYSCORE ... LIMIT 0 1 per rate whose window starts at or before the
-- newest run, and, when allowed, one ZADD (plus a ZREM when the put joins
-- the newest run, and a PEXPIREAT once per period of the margin); members
-- are unpacked, never split.
local mode, weight, name, margin = ARGV[1], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local nts, total, nm = newest()
local t, now
if mode == 'n' then
  now = clock()
  t = now
  if nts and nts > t then
    t = nts -- stamps never go back
  end
else
  t = tonumber(ARGV[2])
end

local never = -1
local allowed, rate, remaining, retry = true, 0, -1, 0
local nrates = (#ARGV - 5) / 2
for i = 1, nrates do
  local limit, interval = tonumber(ARGV[4 + 2 * i]), tonumber(ARGV[5 + 2 * i])
  local since = t - interval
  local left, first = limit, nil
  if nts and nts >= since then
    first = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'LIMIT', 0, 1)[1]
    left = limit - (total - bef(first))
  end
  if left < weight then
    if allowed then
      allowed, rate, remaining = false, i, math.max(left, 0)
    end
    local wait = never
    if weight <= limit then
      -- bound: the (limit-weight)-th newest unit, usually in the window's
      -- first run.
      local k = limit - weight
      local u, ts = total - 1 - k, nil
      if k == 0 then
        ts = nts
      elseif bef(first) <= u and u < aft(first) then
        ts = stamp(first)
      else
        local _
        _, ts = find(u)
      end
      if ts then
        wait = math.max(ts + interval - t + 1, 1)
      end
    end
    if wait == never or retry == never then
      retry = never
    elseif wait > retry then
      retry = wait
    end
  elseif allowed and (remaining < 0 or left - weight < remaining) then
    rate, remaining = i, left - weight
  end
end

local last = nts
if allowed and weight > 0 and (last == nil or t > last) then
  last = t
end
local reset = 0
if last then
  reset = math.max(last + tonumber(ARGV[5 + 2 * rate]) - t + 1, 0)
end

if allowed and weight > 0 and mode ~= 'w' then
  local largest = tonumber(ARGV[5 + 2 * nrates])
  if nts == nil or t > nts then
    redis.call('ZADD', key, t, entry(total, total + weight, t, name))
  elseif t == nts then
    if itemName(nm) == name then
      -- The same name at the same millisecond: one run. Added before the
      -- old member goes, so the set is never empty: an emptied key would
      -- be deleted, and come back without its expiry.
      redis.call('ZADD', key, t, entry(bef(nm), total + weight, t, name))
      redis.call('ZREM', key, nm)
    else
      redis.call('ZADD', key, t, entry(total, total + weight, t, name))
    end
  else
    -- Out of order (an explicit time older than the newest run): the newer
    -- runs move up by weight, newest first so that no member collides, each
    -- added before its old member goes (so the set is never empty).
    local later = redis.call('ZRANGEBYSCORE', key, '(' .. num(t), '+inf')
    local at = bef(later[1])
    for j = #later, 1, -1 do
      local m = later[j]
      local ts = stamp(m)
      redis.call('ZADD', key, ts, entry(bef(m) + weight, aft(m) + weight, ts, itemName(m)))
      redis.call('ZREM', key, m)
    end
    redis.call('ZADD', key, t, entry(at, at + weight, t, name))
  end
  -- Runs older than every window at t count for nothing at t or later:
  -- drop them each time the total passes a multiple of 256 units, so a busy
  -- key stays bounded between leaks at no cost to most puts.
  if math.floor((total + weight) / 256) > math.floor(total / 256) then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. num(t - largest))
  end
  -- The key must outlive its newest unit by the largest interval, and no
  -- more than by the margin besides. Stamps are cut in periods of one
  -- margin; the first write whose newest stamp falls in a period sets the
  -- key to expire the largest interval after the period's end, so later
  -- writes of the period need no PEXPIREAT: the key outlives each of them
  -- by more than the interval and by at most the interval plus the margin.
  -- When the stamps run behind the server's clock (explicit times), the
  -- expiry is reckoned from the clock instead, as late as the stamp's.
  local newestTs = math.max(last, t)
  local period = math.floor(newestTs / margin)
  if nts == nil or period ~= math.floor(nts / margin) then
    if now == nil then
      now = clock()
    end
    local at = (period + 1) * margin + largest
    if now > newestTs then
      at = at + now - newestTs
    end
    redis.call('PEXPIREAT', key, at)
  end
end
return struct.pack('<i8i8i8i8i8i8', allowed and 1 or 0, rate, remaining, retry, reset, t)
