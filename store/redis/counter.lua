-- ratelimit.SlidingWindowCounter on one key's state, after state.lua. A
-- rate's state is three packed little-endian 8-byte integers,
-- core.CounterState: the start of the rate's current fixed window (ms), the
-- units of the window before it (Prev) and of the current one (Cur).
--
-- A decision rolls every rate's windows to t, as the core does, and one
-- that admits units adds them to every current window. A take stores the
-- state (SET with PX, to expire when both windows of every rate have
-- passed; deleted if that is already so) when it admits units, when a roll
-- moved a stored window, or when it carried the state to changed rates; a
-- refund or a charge stores the changed state; a check writes nothing. A
-- decision is thus TIME, GET and at most one SET.

local changed
raw, changed = load(24, nil) -- the counter keeps its units as they are

-- roll returns rate i's state moved to the window holding t (as the core's
-- counterRoll), and whether it moved.
local function roll(i, interval)
  local start, prev, cur = 0, 0, 0
  if raw then
    start, prev, cur = struct.unpack('<i8i8i8', raw, 16 * n + 24 * i - 23)
  end
  local ws = t - t % interval
  if ws <= start then
    return start, prev, cur, false
  elseif ws == start + interval then
    return ws, cur, 0, true
  end
  return ws, 0, 0, true
end

-- A refund or a charge: its functions are made only then (see gcra.lua).
if settling then
  -- refund is core's State.Refund for rate i: the weight units of a take at
  -- at taken off the window that holds at, if it is the current or the
  -- previous one.
  local function refund(i, _, interval, at)
    local start, prev, cur = roll(i, interval)
    if at >= start then
      cur = cur - math.min(weight, cur)
    elseif at >= start - interval then
      prev = prev - math.min(weight, prev)
    end
    return struct.pack('<i8i8i8', start, prev, cur)
  end

  -- charge is core's State.Charge for rate i: the weight units added to the
  -- current window.
  local function charge(i, _, interval)
    local start, prev, cur = roll(i, interval)
    return struct.pack('<i8i8i8', start, prev, cur + weight)
  end

  raw, changed = settle(changed, refund, charge)
end

-- rolled returns the state rolled to t with add units in every current
-- window, and when it is idle.
local function rolled(add)
  local out, idle = rates, t
  for i = 1, n do
    local _, interval = struct.unpack('<i8i8', rates, 16 * i - 15)
    local start, prev, cur = roll(i, interval)
    cur = cur + add
    local at = t
    if cur > 0 then
      at = start + 2 * interval
    elseif prev > 0 then
      at = start + interval
    end
    if at > idle then
      idle = at
    end
    out = out .. struct.pack('<i8i8i8', start, prev, cur)
  end
  return out, idle
end

-- Each take decides on raw and, when it admits units, leaves the state
-- with them there for the next (keep: when that state is idle).
local allowed, rate, remaining, retry, reset
local moved, keep = false, nil
local replies = takes and {}
for j = 1, count do
  if takes then
    weight = struct.unpack('<i8', weights, 8 * j - 7)
  end
  allowed, rate, remaining, retry, reset = 1, 0, -1, 0, 0
  for i = 1, n do
    local limit, interval = struct.unpack('<i8i8', rates, 16 * i - 15)
    local start, prev, cur, m = roll(i, interval)
    moved = moved or m
    local e = t - start
    if e < 0 then
      e = 0
    end
    local room = limit * interval - (prev * (interval - e) + cur * interval)
    if weight > limit or room < weight * interval then
      if allowed == 1 then
        allowed, rate, remaining, reset = 0, i, 0, 0
        if room > 0 then
          remaining = (room - room % interval) / interval
        end
        -- until the count is 0 (the core's counterReset)
        if cur > 0 then
          reset = start + 2 * interval - t
        elseif prev > 0 then
          reset = start + interval - t
        end
        if reset < 0 then
          reset = 0
        end
      end
      if weight > limit or retry == -1 then
        retry = -1 -- never
      else
        -- the core's counterWait: in the current window, at e ms in, once
        -- prev * (interval - e) <= (limit - cur - weight) * interval; else in
        -- the next, where cur becomes prev
        local wait
        local a = limit - cur - weight
        if a >= 0 and prev > 0 then
          local x = a * interval
          local at = start + interval - (x - x % prev) / prev
          if at < start + interval then
            wait = at - t
          end
        end
        if wait == nil then
          wait = start + interval - t
          if cur > 0 then
            local x = (limit - weight) * interval
            local d = interval - (x - x % cur) / cur
            if d > 0 then
              wait = wait + d
            end
          end
        end
        if wait < 1 then
          wait = 1
        end
        if wait > retry then
          retry = wait
        end
      end
    elseif allowed == 1 then
      local x = room - weight * interval
      local left = (x - x % interval) / interval
      if remaining < 0 or left < remaining then
        rate, remaining = i, left
        if cur + weight > 0 then
          reset = start + 2 * interval - t
        elseif prev > 0 then
          reset = start + interval - t
        else
          reset = 0
        end
        if reset < 0 then
          reset = 0
        end
      end
    end
  end
  if take and allowed == 1 and weight > 0 then
    raw, keep = rolled(weight)
  end
  if takes then
    replies[j] = struct.pack('<i8i8i8i8i8i8', allowed, rate, remaining, retry, reset, t)
  end
end

-- The state to store (see state_end.lua): the units admitted, or the
-- state rolled or carried.
local save, saveIdle
if keep then
  save, saveIdle = raw, keep
elseif take and (changed or (moved and raw)) then
  save, saveIdle = rolled(0)
end
