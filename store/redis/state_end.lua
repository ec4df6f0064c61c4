-- The end of the GCRA and counter scripts (see state.lua), after the
-- algorithm's body. The body leaves in save the state to store (the call's
-- rates, then each rate's state), or nil for none, and in saveIdle when it
-- is idle (in ms); the key is set to expire then, or deleted if it is idle
-- already. Under a given time the expiry runs on the server's clock from now
-- and lasts at least a minute, so that a clock slower than the server's (a
-- test's) never loses a key it still counts. Then it replies: each take's
-- six integers under "takes", else the decision, judged against the key's
-- block first under "block".
if save then
  if saveIdle <= t then
    redis.call('DEL', key)
  elseif server then
    redis.call('SET', key, save, 'PX', saveIdle - t)
  else
    redis.call('SET', key, save, 'PX', math.max(saveIdle - t, 60000))
  end
end
if takes then
  return table.concat(replies)
end
if blocking then
  allowed, remaining, retry, reset = judgeblock(t, weight, allowed, remaining, retry, reset)
end
return struct.pack('<i8i8i8i8i8i8', allowed, rate, remaining, retry, reset, t)
