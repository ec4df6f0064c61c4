-- ratelimit.GCRA on one name's state, after state.lua (which reads t and raw).
-- KEYS[1] is the state: a string of two packed 8-byte integers per rate,
-- by ascending interval, the rate's theoretical arrival time TAT (ms) and
-- Rem, the fraction of a millisecond in 1/limit units; no key is the zero
-- state. ARGV: mode, time, weight, then each rate's limit and interval in
-- milliseconds. Modes: "n" PutNow at the server's clock; "p" Put at
-- ARGV[2]; "w" Waiting at ARGV[2], writing nothing; these return {allowed
-- (0 or 1), rate index (1-based), remaining, retry-after in ms (-1 for
-- never), reset-after in ms, time}, packed as six little-endian 8-byte
-- integers (a bulk reply costs the server less than an array). "c" returns
-- the units the largest rate holds at the server's clock (GCRA.Count); "l"
-- deletes the state if it is idle at ARGV[2] (GCRA.Idle) and returns 0.
--
-- An admitted put is three calls: TIME, GET, and SET with PX set to the
-- time until the state is idle (every rate's TAT has passed; reckoned from
-- since, see state.lua), so an idle name's key vanishes. A denial writes
-- nothing. Every
-- number stays below 2^53 (limit × interval <= 2^53 is checked by the
-- Store), so Lua's doubles compute exactly what the Go core does: for
-- 0 <= x < 2^53 and y >= 1, x % y is exact, and so is the quotient
-- (x - x % y) / y. The decision is inlined, with no closure and no table,
-- since this script is the hot path.
if raw and #raw ~= 16 * n then
  raw = nil -- another rate list's state: none of ours
end

if mode == 'c' then
  if not raw then
    return 0
  end
  local limit, interval = tonumber(ARGV[2 + 2 * n]), tonumber(ARGV[3 + 2 * n])
  local tat, rem = struct.unpack('<i8i8', raw, 16 * n - 15)
  if tat < t then
    return 0
  end
  local x = (tat - t) * limit + rem + interval - 1
  return (x - x % interval) / interval
end
if mode == 'l' then
  if raw then
    for i = 1, n do
      local tat, rem = struct.unpack('<i8i8', raw, 16 * i - 15)
      if tat > t or (tat == t and rem > 0) then
        return 0
      end
    end
    redis.call('DEL', key)
  end
  return 0
end

local weight = tonumber(ARGV[3])
local allowed, rate, remaining, retry, reset = 1, 0, -1, 0, 0
local out, idle = '', t + 1
for i = 1, n do
  local limit, interval = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  -- base: the state, or a fresh one when its TAT has passed
  local tat, rem = t, 0
  if raw then
    tat, rem = struct.unpack('<i8i8', raw, 16 * i - 15)
    if tat < t then
      tat, rem = t, 0
    end
  end
  local horizon = t + interval
  -- next: base advanced by weight emission intervals
  local ntat, nrem = tat, rem
  if weight <= limit then
    local w = weight * interval
    local r = w % limit
    ntat, nrem = tat + (w - r) / limit, rem + r
    if nrem >= limit then
      ntat, nrem = ntat + 1, nrem - limit
    end
  end
  if weight > limit or ntat > horizon or (ntat == horizon and nrem > 0) then
    if allowed == 1 then
      -- the first rate that denies: how many units fit after base, and
      -- when base is back to a full burst
      allowed, rate, remaining, reset = 0, i, 0, tat - t
      local room = horizon - tat
      if room > 0 then
        local x = room * limit - rem
        remaining = (x - x % interval) / interval
      end
      if rem > 0 then
        reset = reset + 1
      end
    end
    if weight > limit then
      retry = -1 -- never
    elseif retry ~= -1 then
      -- the weight fits once horizon reaches next
      local wait = ntat - horizon
      if nrem > 0 then
        wait = wait + 1
      end
      if wait > retry then
        retry = wait
      end
    end
  elseif allowed == 1 then
    local room, left = horizon - ntat, 0
    if room > 0 then
      local x = room * limit - nrem
      left = (x - x % interval) / interval
    end
    local upto = ntat - t
    if nrem > 0 then
      upto = upto + 1
    end
    if remaining < 0 or left < remaining then
      rate, remaining, reset = i, left, upto
    end
    if t + upto > idle then
      idle = t + upto
    end
    out = out .. struct.pack('<i8i8', ntat, nrem)
  end
end

-- An admitted put stores every rate's next, to expire when the last TAT
-- has passed.
if allowed == 1 and weight > 0 and mode ~= 'w' then
  redis.call('SET', key, out, 'PX', idle - since)
end
return struct.pack('<i8i8i8i8i8i8', allowed, rate, remaining, retry, reset, t)
