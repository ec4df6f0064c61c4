-- Shared by gcra.lua and counter.lua; each script is block.lua, this file,
-- its own body, which mirrors core.State for its algorithm, then
-- state_end.lua.
--
-- KEYS[1] is one key's state: the rates it was kept under, packed as
-- ARGV[4] packs them, followed by each rate's state (see each script); no
-- key is a key with no history. ARGV: the operation, "take", "check",
-- "refund", "charge" or "block" (a take under a block, see block.lua, which
-- does the operation "hold", the Store's Block, and ends the script before
-- this file); the time in ms, or "" for the server's clock (TIME); the
-- weight n; the rates, each packed as two little-endian 8-byte integers
-- (limit, interval in ms), by ascending interval; for a refund, the
-- refunded take's time in ms. Both scripts return allowed (0 or 1; 2 for a
-- blocked key), the deciding rate's index (1-based), remaining, retry-after
-- in ms (-1 for never), reset-after in ms and the time t of the decision in
-- ms, packed as six little-endian 8-byte integers (a bulk reply costs the
-- server less than an array). A refund or a charge changes the state as
-- core.State's Refund or Charge does, then decides and stores as a take of
-- 0 units. The operation "takes" is several takes of the key, their weights
-- packed in ARGV[5] as little-endian 8-byte integers (ARGV[3] is unused):
-- each is decided at the one time t on the state the ones before it left,
-- as it would be alone, the state is stored once, and the reply is each
-- take's six integers in turn.
--
-- This part reads the time into t, the state into raw and the number of
-- rates into n, and defines load and settle; state_end.lua, after the
-- script's own body, stores the state the body leaves and replies. Every
-- number stays below 2^53 (limit × interval <= 2^53 is checked by the
-- Store), so Lua's doubles compute exactly what the Go core does: for
-- 0 <= x < 2^53 and y >= 1, x % y is exact, and so is the quotient
-- (x - x % y) / y. Lua makes a closure each time a script runs a
-- function's definition, so a take's path defines few: load here, carry in
-- gcra.lua, roll and rolled in counter.lua; its decisions are inlined.
local key, op, weight, rates = KEYS[1], ARGV[1], tonumber(ARGV[3]), ARGV[4]
local takes = op == 'takes'
local take, settling = op == 'take' or takes, op == 'refund' or op == 'charge'
-- count: the takes decided; weights: their weights under "takes"
local weights, count = ARGV[5], 1
if takes then
  count = #weights / 8
end
local n = #rates / 16
local server = ARGV[2] == ''
local t
if server then
  local tm = redis.call('TIME')
  local us = tonumber(tm[2])
  t = tonumber(tm[1]) * 1000 + (us - us % 1000) / 1000
else
  t = tonumber(ARGV[2])
end
if blocking then
  take = unblocked(t) -- a blocked key's take is judged as a check
end
local raw = redis.call('GET', key)

-- load returns the state as kept under the call's rates, and whether it
-- was carried over from other rates (and so must be stored by a take). A
-- state kept under other rates is carried as core.State carries it: each
-- rate takes the state of the old rate of the same interval, through carry
-- (state, old limit, limit, interval) when the limit changed (as it is when
-- carry is nil); a rate with a new interval starts from zeros; old rates no
-- longer listed are dropped. size is the bytes of one rate's state.
local function load(size, carry)
  if not raw then
    return nil, false
  end
  local m = #raw / (16 + size)
  if m == n and string.find(raw, rates, 1, true) == 1 then -- no substring made
    return raw, false
  end
  if m ~= math.floor(m) then
    m = 0 -- not a state of this algorithm: no history
  end
  local out = rates
  for i = 1, n do
    local limit, interval = struct.unpack('<i8i8', rates, 16 * i - 15)
    local s = string.rep('\0', size)
    for j = 1, m do
      local old, oi = struct.unpack('<i8i8', raw, 16 * j - 15)
      if oi == interval then
        s = string.sub(raw, 16 * m + size * (j - 1) + 1, 16 * m + size * j)
        if carry and old ~= limit then
          s = carry(s, old, limit, interval)
        end
        break
      end
    end
    out = out .. s
  end
  return out, true
end

-- settle makes a refund or a charge (op) of weight units on the state raw,
-- as load returned it, given changed, load's second value: refund or
-- charge (i, limit, interval, at) returns rate i's state after it, at the
-- time of the refunded take. It returns the state and whether it changed,
-- and leaves a take of 0 units to report the key's standing and store the
-- state. A refund of a key with no history or of a take stamped after t,
-- and a settlement of 0 units, change nothing. It is made only for a
-- refund or a charge: Lua makes a closure each time a script runs its
-- definition.
local settle
if settling then
  settle = function(changed, refund, charge)
    local at, change = tonumber(ARGV[5]), refund
    if op == 'charge' then
      change = charge
    end
    local out = raw
    if weight > 0 and (op == 'charge' or (raw and at <= t)) then
      out, changed = rates, true
      for i = 1, n do
        local limit, interval = struct.unpack('<i8i8', rates, 16 * i - 15)
        out = out .. change(i, limit, interval, at)
      end
    end
    take, weight = true, 0
    return out, changed
  end
end
