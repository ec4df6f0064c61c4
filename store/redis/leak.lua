-- Removes the runs stamped before ARGV[1] (a run at exactly ARGV[1] is
-- kept) and returns their units.
local nts, total = newest()
if nts == nil then
  return 0
end
local oldest = bef(redis.call('ZRANGE', key, 0, 0)[1])
local r = redis.call('ZRANGEBYSCORE', key, ARGV[1], '+inf', 'LIMIT', '0', '1')
if r[1] == nil then
  redis.call('DEL', key)
  return total - oldest
end
local first = bef(r[1])
if first > oldest then
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[1])
end
return first - oldest
