-- One batch of a leak of every name: the oldest rows stamped before the
-- bound, a batch at most, skipping rows another transaction has locked, so
-- that a leak never waits for a put. Rows that old count for no window of a
-- put at or after the leak's time, so deleting them between a put's reads
-- changes no decision. Parameters: bound, batch size.
DELETE FROM {{.Table}}
WHERE ctid IN (
	SELECT o.ctid FROM {{.Table}} AS o WHERE o.ts < $1 ORDER BY o.ts LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING weight
