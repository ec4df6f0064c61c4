-- One batch of a leak of one name, run after the name's lock: its oldest
-- rows stamped before the bound, a batch at most, returning their weights.
-- Parameters: name, bound, batch size.
DELETE FROM {{.Table}}
WHERE name = $1 AND before IN (
	SELECT o.before FROM {{.Table}} AS o WHERE o.name = $1 AND o.ts < $2 ORDER BY o.ts LIMIT $3)
RETURNING weight
