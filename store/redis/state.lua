-- Shared by gcra.lua and counter.lua; each script is this file followed by
-- its own body. KEYS[1] is one name's state, a string of packed 8-byte
-- integers, or no key for a name with no history. ARGV: mode, time,
-- weight, then each rate's limit and interval in milliseconds. This part
-- reads the time the script judges at (the server's clock for modes "n"
-- and "c", else ARGV[2]) into t and the state into raw; n is the number of
-- rates.
local key, mode = KEYS[1], ARGV[1]
local n = (#ARGV - 3) / 2
local t
if mode == 'n' or mode == 'c' then
  local tm = redis.call('TIME')
  local us = tonumber(tm[2])
  t = tonumber(tm[1]) * 1000 + (us - us % 1000) / 1000
else
  t = tonumber(ARGV[2])
end
local raw = redis.call('GET', key)
