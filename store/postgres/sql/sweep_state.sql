-- One batch of the sweeper on the state table: the rows whose state counts
-- nothing at the bound, a batch at most, found by the idle_at index,
-- skipping rows another transaction has locked. idle_at is checked again
-- on the row deleted, in case a take moved it since. A take that read a
-- row this deletes writes it back (see the take function). Parameters: the
-- bound in milliseconds (NULL: the server's clock), the batch size.
WITH bound AS (SELECT COALESCE($1::bigint, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS ms)
DELETE FROM {{.State}}
WHERE idle_at <= (SELECT ms FROM bound) AND key IN (
	SELECT o.key FROM {{.State}} AS o, bound
	WHERE o.idle_at <= bound.ms ORDER BY o.idle_at LIMIT $2 FOR UPDATE OF o SKIP LOCKED)
