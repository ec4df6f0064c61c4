-- One batch of a leak of every name: the oldest rows stamped before the
-- bound, a batch at most, returning their weights. Parameters: bound, batch
-- size.
DELETE FROM {{.Table}}
WHERE (name, before) IN (SELECT name, before FROM {{.Table}} WHERE ts < ? ORDER BY ts LIMIT ?)
RETURNING weight
