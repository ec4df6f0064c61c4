-- ratelimit.SlidingWindowLog over one key's log, deciding as core.DecideLog
-- does and storing the units if they are admitted.
--
-- KEYS[1] is the log: a sorted set with one member per run of units
-- admitted at one millisecond, scored by that millisecond. A member is 32
-- bytes packed big-endian by the struct library, "<before><after><ts><largest>":
-- before is the number of units stored ahead of the run (a running total),
-- after the running total through the run (so the run's weight is after -
-- before), ts the run's stamp again (so that no read needs WITHSCORES), and
-- largest the largest interval (ms) of the take that wrote it: the newest
-- run's tells which rates the key's expiry was last set for. Big-endian
-- unsigned totals sort bytewise as numbers, so the order by (score, member)
-- is also the order by before: the units inside a window are the log's
-- total (the newest run's after) minus the before of the window's first
-- member, and the k-th newest unit is found by its running total.
--
-- ARGV: the operation, "take", "check", "refund", "charge" or "block" (a
-- take under a block, see block.lua, which does the operation "hold", the
-- Store's Block, and ends the script before this file); the time in ms, or
-- "" for the server's clock (TIME); the weight n; the rates, each packed as
-- two little-endian 8-byte integers (limit, interval in ms), by ascending
-- interval; for a refund, the refunded take's time in ms. Returns allowed
-- (0 or 1; 2 for a blocked key), the deciding rate's index (1-based),
-- remaining, retry-after in ms (-1 for never), reset-after in ms and the
-- time t of the decision in ms, packed as six little-endian 8-byte integers
-- (a bulk reply costs the server less than an array). A refund removes n
-- units of the run stamped at the take's time (fewer if it holds fewer),
-- moving the totals of the later runs down, then decides and stores as a
-- take of 0 units; a charge stores n units as an admitted take does,
-- whatever the limits, then decides as a check of 0 units. The operation
-- "takes" is several takes of the key, their weights packed in ARGV[5] as
-- little-endian 8-byte integers (ARGV[3] is unused): each is decided at the
-- one time t as it would be alone after the ones before it, all the units
-- admitted are stored as one take's, and the reply is each take's six
-- integers in turn; or, when t is older than the newest run (a given time
-- out of order), it is the empty string and nothing is done: the caller
-- sends the takes one by one. It needs Redis 5
-- or later, whose scripts replicate their effects, so that reading TIME
-- before a write is allowed.
--
-- The common paths cost one read of the newest run, TIME, one
-- ZRANGEBYSCORE ... LIMIT 0 1 per rate whose window starts at or before the
-- newest run, and, when a take admits units, one ZADD (plus a ZREM when
-- they join the newest run, and a PEXPIREAT once per period of the expiry
-- margin); members are unpacked, never split. Lua makes a closure each
-- time a script runs a function's definition, so the script defines only
-- judge and newest, which run twice on some paths; the rest is inline.
--
-- Every number here stays below 2^53 (the Store checks limits and times),
-- so Lua's doubles hold it exactly. Numbers go to redis.call as strings
-- made by num ('%d'): their exact decimal form, cheaper for the server
-- than its own "%.17g" conversion of a number argument, and Lua's own
-- conversion in a concatenation keeps only 14 digits.
local key, op, weight, rates = KEYS[1], ARGV[1], tonumber(ARGV[3]), ARGV[4]
local charge = op == 'charge'
local takes = op == 'takes'
local take = op == 'take' or charge or takes -- a charge writes as an admitted take
local call, pack, unpack, num = redis.call, struct.pack, struct.unpack, string.format
local header = '>I8I8i8i8' -- a member: before, after, ts, largest
local nrates = #rates / 16

-- A member's fields: before is (unpack('>I8', m)), after
-- (unpack('>I8', m, 9)), the stamp (unpack('>i8', m, 17)) and the largest
-- interval (unpack('>i8', m, 25)) when #m is 32 (else -1, another layout).
-- Rate i is unpack('<i8i8', rates, 16 * i - 15): its limit and interval.

-- The newest run's member (nm) and stamp (nts), and the log's total, read
-- by newest.
local nm, nts, total
local function newest()
  nm, nts, total = call('ZRANGE', key, '-1', '-1')[1], nil, 0
  if nm then
    local _
    _, total, nts = unpack('>I8I8i8', nm)
  end
end
newest()
local prev = nts -- the newest stamp before the call

local server = ARGV[2] == ''
local t
if server then
  local tm = call('TIME')
  t = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
  if nts and nts > t then
    t = nts -- the server's stamps never go back
  end
else
  t = tonumber(ARGV[2])
end
if blocking then
  take = unblocked(t) -- a blocked key's take is judged as a check
end
if takes and nts and t < nts then
  return ''
end

-- A refund removes weight units of the run stamped at the take's time, or
-- all it holds if fewer, and moves the totals of the later runs down by as
-- many (members stamped at the same time after the run's first, which an
-- earlier version could leave, count as later runs): the run's member is
-- replaced (added before the old one goes) or, emptied, removed first, and
-- each later member is added before its old one goes, so the set is empty
-- only if the run was all it held. Then it is a take of 0 units.
if op == 'refund' then
  local at = tonumber(ARGV[5])
  local runs = weight > 0 and at <= t and call('ZRANGEBYSCORE', key, num('%d', at), '+inf')
  local m = runs and runs[1]
  if m and unpack('>i8', m, 17) == at then
    local b, a = unpack('>I8I8', m)
    local r = math.min(weight, a - b)
    if r < a - b then
      local largest = #m == 32 and (unpack('>i8', m, 25)) or -1
      call('ZADD', key, num('%d', at), pack(header, b, a - r, at, largest))
    end
    call('ZREM', key, m)
    for j = 2, #runs do
      local l = runs[j]
      local lb, la, ts = unpack('>I8I8i8', l)
      local largest = #l == 32 and (unpack('>i8', l, 25)) or -1
      call('ZADD', key, num('%d', ts), pack(header, lb - r, la - r, ts, largest))
      call('ZREM', key, l)
    end
    newest()
  end
  take, weight = true, 0
end

local never = -1

-- stored is the log's total as stored; under "takes", total runs ahead of
-- it by the units the takes before have admitted, at t, not yet stored,
-- and firsts keeps each rate's first stored run in its window (false for
-- none), which is the same for every take at t.
local stored, firsts = total, nil

-- judge decides on weight units at t as core.DecideLog does: it returns
-- allowed, the deciding rate's index, remaining and retry-after.
local function judge(weight)
  local allowed, deciding, remaining, retry = true, 0, -1, 0
  for i = 1, nrates do
    local limit, interval = unpack('<i8i8', rates, 16 * i - 15)
    local since = t - interval
    local left, first, fb = limit, firsts and firsts[i], nil
    if first == nil then
      first = nts and nts >= since and call('ZRANGEBYSCORE', key, num('%d', since), '+inf', 'LIMIT', '0', '1')[1]
      if firsts then
        firsts[i] = first
      end
    end
    if first then
      fb = unpack('>I8', first)
    elseif total > stored then
      fb = stored -- the units the takes before admitted start the window
    end
    if fb then
      left = limit - (total - fb)
    end
    if left < weight then
      if allowed then
        allowed, deciding, remaining = false, i, math.max(left, 0)
      end
      local wait = never
      if weight <= limit then
        -- bound: the (limit-weight)-th newest unit u, usually in the
        -- window's first run, else found by a binary search by running
        -- total over ranks; nil when it is no longer stored.
        local k = limit - weight
        local u, ts = total - 1 - k, nil
        if k == 0 then
          ts = total > stored and t or nts
        elseif u >= stored then
          ts = t -- admitted by a take before, at t
        elseif fb <= u and u < (unpack('>I8', first, 9)) then
          ts = unpack('>i8', first, 17)
        elseif u >= 0 then
          local lo, hi = 0, call('ZCARD', key) - 1
          local m = hi >= 0 and call('ZRANGE', key, '0', '0')[1]
          if m and unpack('>I8', m) <= u then
            while lo < hi do
              local mid = math.floor((lo + hi + 1) / 2)
              m = call('ZRANGE', key, num('%d', mid), num('%d', mid))[1]
              if unpack('>I8', m) <= u then
                lo = mid
              else
                hi = mid - 1
              end
            end
            m = call('ZRANGE', key, num('%d', lo), num('%d', lo))[1]
            ts = unpack('>i8', m, 17)
          end
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
      deciding, remaining = i, left - weight
    end
  end
  return allowed, deciding, remaining, retry
end

-- A charge judges nothing before it stores its units; takes judge theirs
-- here, then store the units they admitted as one charge would.
local allowed, deciding, remaining, retry = true, 0, -1, 0
local replies
if takes then
  firsts, replies = {}, {}
  local weights = ARGV[5]
  for j = 1, #weights / 8 do
    local w = unpack('<i8', weights, 8 * j - 7)
    allowed, deciding, remaining, retry = judge(w)
    if allowed then
      total = total + w
    end
    local last, reset = total > stored and t or nts, 0
    if last then
      local _, interval = unpack('<i8i8', rates, 16 * deciding - 15)
      reset = math.max(last + interval - t + 1, 0)
    end
    replies[j] = pack('<i8i8i8i8i8i8', allowed and 1 or 0, deciding, remaining, retry, reset, t)
  end
  allowed, weight, total = true, total - stored, stored
elseif not charge then
  allowed, deciding, remaining, retry = judge(weight)
end
local admit = allowed and weight > 0
local last = nts -- the newest stamp once the take is done
if admit and (last == nil or t > last) then
  last = t
end
if take and last then
  local _, largest = unpack('<i8i8', rates, 16 * nrates - 15)
  -- whether the largest interval changed
  local moved = nm == nil or #nm ~= 32 or unpack('>i8', nm, 25) ~= largest
  if admit then
    if nts == nil or t > nts then
      call('ZADD', key, num('%d', t), pack(header, total, total + weight, t, largest))
    elseif t == nts then
      -- The same millisecond: one run. Added before the old member goes,
      -- so the set is never empty: an emptied key would be deleted, and
      -- come back without its expiry.
      call('ZADD', key, num('%d', t), pack(header, (unpack('>I8', nm)), total + weight, t, largest))
      call('ZREM', key, nm)
    else
      -- Out of order (a given time older than the newest run): the units
      -- join the run stamped t, if there is one (its last member, should an
      -- earlier version have left it more than one), so that a refund finds
      -- them in it; the newer runs move up by weight, newest first so that
      -- no member collides, each added before its old member goes (so the
      -- set is never empty).
      local later = call('ZRANGEBYSCORE', key, num('%d', t), '+inf')
      local same = 0 -- the members stamped t
      while unpack('>i8', later[same + 1], 17) == t do
        same = same + 1
      end
      for j = #later, same + 1, -1 do
        local m = later[j]
        local b, a, ts = unpack('>I8I8i8', m)
        call('ZADD', key, num('%d', ts), pack(header, b + weight, a + weight, ts, largest))
        call('ZREM', key, m)
      end
      -- the run's member, or an empty run where the newer ones started
      local run = later[math.max(same, 1)]
      local b, a = unpack('>I8I8', run)
      if same == 0 then
        a = b
      end
      call('ZADD', key, num('%d', t), pack(header, b, a + weight, t, largest))
      if same > 0 then
        call('ZREM', key, run)
      end
    end
    -- Runs older than every window at t count for nothing at t or later:
    -- drop them each time the total passes a multiple of 256 units, so a
    -- busy key stays bounded at no cost to most takes.
    if math.floor((total + weight) / 256) > math.floor(total / 256) then
      call('ZREMRANGEBYSCORE', key, '-inf', num('(%d', t - largest))
    end
  elseif moved then
    -- A take under a new largest interval that stores nothing: the newest
    -- run records it, for the expiry below.
    call('ZADD', key, num('%d', nts), pack(header, (unpack('>I8', nm)), total, nts, largest))
    call('ZREM', key, nm)
  end
  -- The key must outlive its newest unit by the largest interval, and no
  -- more than by the margin besides. Stamps are cut in periods of one
  -- margin; the first write whose newest stamp falls in a period (a
  -- take's, or the older one a refund leaves), or that changes the
  -- largest interval, sets the key to expire the largest
  -- interval after the period's end, so later writes of the period need no
  -- PEXPIREAT: the key outlives each of them by more than the interval and
  -- by at most the interval plus the margin. Under a given time the expiry
  -- runs on the server's clock from now, is set by every take, and lasts at
  -- least a minute, so that a clock slower than the server's (a test's)
  -- never loses a key it still counts.
  local margin = math.max(10, math.floor(largest / 100))
  local period = math.floor(last / margin)
  local at = (period + 1) * margin + largest
  if not server then
    call('PEXPIRE', key, num('%d', math.max(at - t, 60000)))
  elseif moved or period ~= math.floor(prev / margin) then
    call('PEXPIREAT', key, num('%d', at))
  end
end
if takes then
  return table.concat(replies)
end
if charge then
  -- the key's standing after the charge
  newest()
  allowed, deciding, remaining, retry = judge(0)
end
local reset = 0
if last then
  local _, interval = unpack('<i8i8', rates, 16 * deciding - 15)
  reset = math.max(last + interval - t + 1, 0)
end
local flag = allowed and 1 or 0
if blocking then
  flag, remaining, retry, reset = judgeblock(t, weight, flag, remaining, retry, reset)
end
return pack('<i8i8i8i8i8i8', flag, deciding, remaining, retry, reset, t)
