-- Returns the number of units stored.
local nts, total = newest()
if nts == nil then
  return 0
end
return total - bef(redis.call('ZRANGE', key, 0, 0)[1])
