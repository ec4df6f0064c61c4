-- Removes the log.
return redis.call('DEL', key)
