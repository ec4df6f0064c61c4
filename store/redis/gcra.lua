-- ratelimit.GCRA on one key's state, after state.lua. A rate's state is
-- two packed little-endian 8-byte integers, core.GCRAState: the theoretical
-- arrival time TAT (ms) and Rem, the fraction of a millisecond in 1/limit
-- units.
--
-- A take that admits units stores every rate's next state (SET with PX, to
-- expire when every rate's TAT has passed); a take under changed rates
-- stores the carried state; nothing else writes. A decision is thus TIME,
-- GET and at most one SET.

-- carry is core's gcraCarry: the units still owed at t (rounded up) are
-- emitted at the new limit's pace from t.
local function carry(s, old, limit, interval)
  local tat, rem = struct.unpack('<i8i8', s)
  if tat < t or (tat == t and rem == 0) then
    return struct.pack('<i8i8', 0, 0)
  end
  local x = (tat - t) * old + rem + interval - 1
  local w = (x - x % interval) / interval * interval
  local r = w % limit
  return struct.pack('<i8i8', t + (w - r) / limit, r)
end

local changed
raw, changed = load(16, carry)

local allowed, rate, remaining, retry, reset = 1, 0, -1, 0, 0
local out, idle = rates, t + 1
for i = 1, n do
  local limit, interval = struct.unpack('<i8i8', rates, 16 * i - 15)
  -- base: the state, or a fresh one when its TAT has passed
  local tat, rem = t, 0
  if raw then
    tat, rem = struct.unpack('<i8i8', raw, 16 * n + 16 * i - 15)
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

if take and allowed == 1 and weight > 0 then
  store(out, idle)
elseif take and changed then
  -- the carried state, idle when every rate's TAT has passed (core's IdleAt)
  idle = t
  for i = 1, n do
    local tat, rem = struct.unpack('<i8i8', raw, 16 * n + 16 * i - 15)
    if rem > 0 then
      tat = tat + 1
    end
    if tat > idle then
      idle = tat
    end
  end
  store(raw, idle)
end
return struct.pack('<i8i8i8i8i8', allowed, rate, remaining, retry, reset)
