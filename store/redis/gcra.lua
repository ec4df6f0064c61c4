-- ratelimit.GCRA on one key's state, after state.lua. A rate's state is
-- two packed little-endian 8-byte integers, core.GCRAState: the theoretical
-- arrival time TAT (ms) and Rem, the fraction of a millisecond in 1/limit
-- units.
--
-- A take that admits units stores every rate's next state (SET with PX, to
-- expire when every rate's TAT has passed); a take under changed rates
-- stores the carried state, and a refund or a charge the changed state;
-- nothing else writes. A decision is thus TIME, GET and at most one SET.

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
-- A refund or a charge: its functions are made only then, since Lua makes
-- a closure each time a script runs its definition.
if settling then
  -- add is core's gcraAdd: tat, rem advanced by w emission intervals (the
  -- decision below inlines it).
  local function add(tat, rem, w, limit, interval)
    local x = w * interval
    local r = x % limit
    tat, rem = tat + (x - r) / limit, rem + r
    if rem >= limit then
      tat, rem = tat + 1, rem - limit
    end
    return tat, rem
  end

  -- after is core's gcraAfter: how far tat, rem lie after t, in 1/limit ms,
  -- or 0 if they do not.
  local function after(tat, rem, limit)
    if tat < t then
      return 0
    end
    return (tat - t) * limit + rem
  end

  -- state returns rate i's TAT and Rem, zeros for no history.
  local function state(i)
    if not raw then
      return 0, 0
    end
    local tat, rem = struct.unpack('<i8i8', raw, 16 * n + 16 * i - 15)
    return tat, rem
  end

  -- refund is core's gcraRefund: rate i's state with the weight units of a
  -- take at at given back, the part of them not yet emitted at t, at most
  -- the time the state lies after t (when that is within an interval, where
  -- the products are exact).
  local function refund(i, limit, interval, at)
    local tat, rem = state(i)
    local etat, erem = add(at, 0, weight, limit, interval)
    local back = after(etat, erem, limit)
    if tat - t <= interval then
      back = math.min(back, after(tat, rem, limit))
    end
    if back > 0 then
      local r = back % limit
      tat, rem = tat - (back - r) / limit, rem - r
      if rem < 0 then
        tat, rem = tat - 1, rem + limit
      end
    end
    return struct.pack('<i8i8', tat, rem)
  end

  -- charge is core's State.Charge for rate i: the weight units added after
  -- the state, or after t if its TAT has passed.
  local function charge(i, limit, interval)
    local tat, rem = state(i)
    if tat < t then
      tat, rem = t, 0
    end
    return struct.pack('<i8i8', add(tat, rem, weight, limit, interval))
  end

  raw, changed = settle(changed, refund, charge)
end

-- Each take decides on raw and, when it admits units, leaves its state
-- there for the next (keep: when that state is idle).
local allowed, rate, remaining, retry, reset
local keep
local replies = takes and {}
for j = 1, count do
  if takes then
    weight = struct.unpack('<i8', weights, 8 * j - 7)
  end
  allowed, rate, remaining, retry, reset = 1, 0, -1, 0, 0
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
    raw, keep = out, idle
  end
  if takes then
    replies[j] = struct.pack('<i8i8i8i8i8i8', allowed, rate, remaining, retry, reset, t)
  end
end

-- The state to store (see state_end.lua): the units admitted, or the
-- carried state, idle when every rate's TAT has passed (core's IdleAt).
local save, saveIdle
if keep then
  save, saveIdle = raw, keep
elseif take and changed then
  local idle = t
  for i = 1, n do
    local tat, rem = struct.unpack('<i8i8', raw, 16 * n + 16 * i - 15)
    if rem > 0 then
      tat = tat + 1
    end
    if tat > idle then
      idle = tat
    end
  end
  save, saveIdle = raw, idle
end
