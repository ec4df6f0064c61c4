-- One batch of a leak of every name: the rows whose state counts nothing at
-- the bound, a batch at most, found by the idle_at index, skipping rows
-- another transaction has locked. idle_at is checked again on the row
-- deleted, in case a put moved it since. A put that read a row this
-- deletes writes it back (see the decision function). Parameters: bound,
-- batch size.
DELETE FROM {{.State}}
WHERE idle_at <= $1 AND name IN (
	SELECT o.name FROM {{.State}} AS o WHERE o.idle_at <= $1 ORDER BY o.idle_at LIMIT $2 FOR UPDATE SKIP LOCKED)
