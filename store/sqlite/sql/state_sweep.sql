-- One batch of the sweep: the states that count nothing at a time, the
-- longest idle first, a batch at most. Parameters: now, batch size.
DELETE FROM {{.StateTable}}
WHERE key IN (SELECT key FROM {{.StateTable}} WHERE idle_at <= ? ORDER BY idle_at LIMIT ?)
