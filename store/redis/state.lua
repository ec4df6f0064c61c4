-- Shared by gcra.lua and counter.lua; each script is this file followed by
-- its own body. KEYS[1] is one name's state, a string of packed 8-byte
-- integers, or no key for a name with no history. ARGV: mode, time,
-- weight, then each rate's limit and interval in milliseconds. This part
-- reads the time the script judges at (the server's clock for modes "n"
-- and "c", else ARGV[2]) into t, the state into raw, and, for the modes
-- that may write, into since the earlier of t and the server's clock: a
-- written key expires idle - since from now, so that it outlives its state
-- whether explicit times run ahead of the server's clock or behind it; n is
-- the number of rates.
local key, mode = KEYS[1], ARGV[1]
local n = (#ARGV - 3) / 2
local t, since
if mode == 'w' or mode == 'l' then
  t = tonumber(ARGV[2])
else
  local tm = redis.call('TIME')
  local us = tonumber(tm[2])
  local clock = tonumber(tm[1]) * 1000 + (us - us % 1000) / 1000
  if mode == 'p' then
    t = tonumber(ARGV[2])
  else
    t = clock
  end
  since = t
  if clock < since then
    since = clock
  end
end
local raw = redis.call('GET', key)
