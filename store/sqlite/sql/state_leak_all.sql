-- One batch of a leak of every name: the states that count nothing at a
-- time, the longest idle first, a batch at most. Parameters: now, batch
-- size.
DELETE FROM {{.StateTable}}
WHERE name IN (SELECT name FROM {{.StateTable}} WHERE idle_at <= ? ORDER BY idle_at LIMIT ?)
