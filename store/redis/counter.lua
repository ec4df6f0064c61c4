-- ratelimit.SlidingWindowCounter on one name's state, after state.lua
-- (which reads t and raw). KEYS[1] is the state: a string of three packed 8-byte
-- integers per rate, by ascending interval, the start of the rate's current
-- fixed window (ms), the units of the window before it (Prev) and of the
-- current one (Cur); no key is the zero state. ARGV: mode, time, weight,
-- then each rate's limit and interval in milliseconds. Modes as in
-- gcra.lua: "n" PutNow, "p" Put, "w" Waiting return the decision packed
-- as gcra.lua's is; "c" returns SlidingWindowCounter.Count at the server's
-- clock; "l" deletes the state if it is idle at ARGV[2] and returns 0.
--
-- A put rolls every rate's windows to its time, as the core does, and an
-- admitted put adds its weight to every current window. The state is
-- written (SET with PX) when a put is admitted or a roll moved a window,
-- with PX set to the time until it is idle (both windows of every rate have
-- passed; reckoned from since, see state.lua), so an idle name's key
-- vanishes; a state the roll made idle is deleted. An admitted put is three
-- calls: TIME, GET, SET.
-- Every product stays within 2^53, so Lua's doubles compute exactly what
-- the Go core does (x % y and (x - x % y) / y are exact for 0 <= x < 2^53,
-- y >= 1). The hot path is inlined, with no closure and no table.
if raw and #raw ~= 24 * n then
  raw = nil -- another rate list's state: none of ours
end

-- roll returns rate i's state moved to the window holding t (as the core's
-- counterRoll), and whether it moved.
local function roll(i, interval)
  local start, prev, cur = 0, 0, 0
  if raw then
    start, prev, cur = struct.unpack('<i8i8i8', raw, 24 * i - 23)
  end
  local ws = t - t % interval
  if ws <= start then
    return start, prev, cur, false
  elseif ws == start + interval then
    return ws, cur, 0, true
  end
  return ws, 0, 0, true
end

if mode == 'c' then
  local interval = tonumber(ARGV[3 + 2 * n])
  local start, prev, cur = roll(n, interval)
  local e = t - start
  if e < 0 then
    e = 0
  end
  local x = prev * (interval - e) + interval - 1
  return (x - x % interval) / interval + cur
end
if mode == 'l' then
  if raw then
    for i = 1, n do
      local _, prev, cur = roll(i, tonumber(ARGV[3 + 2 * i]))
      if prev > 0 or cur > 0 then
        return 0
      end
    end
    redis.call('DEL', key)
  end
  return 0
end

local weight = tonumber(ARGV[3])
local allowed, rate, remaining, retry, reset = 1, 0, -1, 0, 0
local moved = false
for i = 1, n do
  local limit, interval = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
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

-- Store the rolled state, with the weight if admitted, to expire when both
-- windows of every rate have passed (deleted if that is already so).
local admit = allowed == 1 and weight > 0
if mode ~= 'w' and (admit or (moved and raw)) then
  local add = admit and weight or 0
  local out, idle = '', nil
  for i = 1, n do
    local interval = tonumber(ARGV[3 + 2 * i])
    local start, prev, cur = roll(i, interval)
    cur = cur + add
    local at = nil
    if cur > 0 then
      at = start + 2 * interval
    elseif prev > 0 then
      at = start + interval
    end
    if at and (idle == nil or at > idle) then
      idle = at
    end
    out = out .. struct.pack('<i8i8i8', start, prev, cur)
  end
  if idle == nil or idle <= t then
    if raw then
      redis.call('DEL', key)
    end
  else
    redis.call('SET', key, out, 'PX', idle - since)
  end
end
return struct.pack('<i8i8i8i8i8i8', allowed, rate, remaining, retry, reset, t)
