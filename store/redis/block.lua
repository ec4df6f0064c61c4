-- A key's block, for the operations "block" (the Store's TakeBlocking) and
-- "hold" (its Block); every script starts with this file. It mirrors
-- core.BlockState.
--
-- KEYS[2] is the key's block state: Until, Level, Denials, Since and Idle
-- (ms), packed as five little-endian 8-byte integers; no key is the zero
-- state. For a block, ARGV[5] is the Block: For, After, Within, Factor and
-- the cap (Max, or ratelimit.MaxInterval), packed the same way, For, Within
-- and the cap in ms; For is 0 for the zero Block, which counts no denial.
-- Once the script has its time t, unblocked(t) reports whether the key is
-- not blocked at t, so that the script judges a take (else a check, which
-- consumes nothing); the script then passes its reply to judgeblock, which
-- counts a denial and blocks the key as core.BlockState.Judge does, writes
-- the state when it changed (SET, to expire at its Idle), and returns the
-- reply: allowed 2 when the key is blocked.
--
-- A hold's ARGV are "hold", the time in ms or "" for the server's clock
-- (TIME), and the hold's length d in ms. The hold reads its time and blocks
-- the key for d from it as core.BlockState.Hold does, writing the state
-- when it changed as judgeblock does, and ends the script here, touching
-- no other key: it returns the reply of a blocked key's take (allowed 2,
-- rate 0, remaining 0, retry and reset the ms left of the block, and t).
--
-- The functions are made only for a block or a hold: Lua makes a closure
-- each time a script runs a definition, and the other operations need none.
local blocking = ARGV[1] == 'block'
local unblocked, judgeblock
if blocking or ARGV[1] == 'hold' then
  local bkey = KEYS[2]
  local untl, level, denials, since, idle = 0, 0, 0, 0, 0
  local raw = redis.call('GET', bkey)
  if raw and #raw == 40 then
    untl, level, denials, since, idle = struct.unpack('<i8i8i8i8i8', raw)
  end

  unblocked = function(t)
    return level == 0 or t >= untl
  end

  -- save writes the state, to expire at idle: under the server's clock at
  -- idle itself (PEXPIREAT, exact however the script's t was read), under
  -- a given time from now on the server's clock for at least a minute, as
  -- state.lua's store does.
  local function save(t)
    local s = struct.pack('<i8i8i8i8i8', untl, level, denials, since, idle)
    if ARGV[2] == '' then
      redis.call('SET', bkey, s)
      redis.call('PEXPIREAT', bkey, idle)
    else
      redis.call('SET', bkey, s, 'PX', math.max(idle - t, 60000))
    end
  end

  if not blocking then
    -- A hold: core.BlockState.Hold of d ms at t.
    local t, d = tonumber(ARGV[2]), tonumber(ARGV[3])
    if ARGV[2] == '' then
      local tm = redis.call('TIME')
      local us = tonumber(tm[2])
      t = tonumber(tm[1]) * 1000 + (us - us % 1000) / 1000
    end
    if unblocked(t) or untl < t + d then
      level = math.max(level, 1)
      untl = t + d
      idle = math.max(idle, untl)
      save(t)
    end
    return struct.pack('<i8i8i8i8i8i8', 2, 0, 0, untl - t, untl - t, t)
  end

  local bfor, bafter, bwithin, bfactor, bcap = struct.unpack('<i8i8i8i8i8', ARGV[5])

  -- length is core's blockLength: the length in ms of a block at level
  -- (from 1), For × Factor^(level-1), capped.
  local function length(lvl)
    local l = bfor
    while lvl > 1 and bfactor > 1 and l < bcap do
      if l > (bcap - bcap % bfactor) / bfactor then
        return bcap
      end
      l, lvl = l * bfactor, lvl - 1
    end
    return math.min(l, bcap)
  end

  -- judgeblock finishes the reply on a take of n units at t: allowed (0
  -- or 1), remaining, retry (-1 for never) and reset, in ms.
  judgeblock = function(t, n, allowed, remaining, retry, reset)
    local left
    if not unblocked(t) then
      left = untl - t
    elseif allowed == 1 or n == 0 or retry == -1 or bfor == 0 then
      -- nothing to count, or (the zero Block) nothing counts
      return allowed, remaining, retry, reset
    else
      if bafter > 1 then
        if denials == 0 or t - since >= bwithin then
          since, denials = t, 0
        end
        denials = denials + 1
        if denials < bafter then
          idle = math.max(idle, since + bwithin)
          save(t)
          return allowed, remaining, retry, reset
        end
        denials = 0
      end
      if level > 0 and t < untl + length(level) and t < idle then
        level = math.min(level + 1, 64)
      else
        level = 1
      end
      left = length(level)
      untl = t + left
      idle = untl + left -- no denial counts any more
      save(t)
    end
    if retry ~= -1 then
      retry = math.max(retry, left)
    end
    return 2, 0, retry, math.max(reset, left)
  end
end
