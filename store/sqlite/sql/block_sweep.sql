-- One batch of the sweep: the block states that count nothing at a time,
-- the longest idle first, a batch at most. Parameters: now, batch size.
DELETE FROM {{.BlockTable}}
WHERE key IN (SELECT key FROM {{.BlockTable}} WHERE idle_at <= ? ORDER BY idle_at LIMIT ?)
