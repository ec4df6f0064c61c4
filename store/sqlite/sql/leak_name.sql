-- One batch of a leak of one name: its oldest rows stamped before the
-- bound, a batch at most, returning their weights. Parameters: name, name,
-- bound, batch size.
DELETE FROM {{.Table}}
WHERE name = ? AND before IN (SELECT before FROM {{.Table}} WHERE name = ? AND ts < ? ORDER BY ts LIMIT ?)
RETURNING weight
