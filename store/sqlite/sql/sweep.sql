-- One batch of the sweep: the rows of every key that no rate counts any
-- more, the longest expired first, a batch at most. Parameters: now, batch
-- size.
DELETE FROM {{.Table}}
WHERE (key, before) IN (SELECT key, before FROM {{.Table}} WHERE expires < ? ORDER BY expires LIMIT ?)
