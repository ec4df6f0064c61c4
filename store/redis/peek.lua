-- Returns the ARGV[1]-th newest unit as {time, weight, item name} of its run,
-- or nil.
local nts, total, nm = newest()
if nts == nil then
  return false
end
local i = tonumber(ARGV[1])
local m, ts = nm, nts
if i > 0 then
  m, ts = find(total - 1 - i)
end
if m == nil then
  return false
end
return {ts, aft(m) - bef(m), itemName(m)}
