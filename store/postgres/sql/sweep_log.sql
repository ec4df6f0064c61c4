-- One batch of the sweeper on the log: the rows that expired before the
-- bound (they count for no rate of their key's last take), a batch at
-- most, skipping rows another transaction has locked, so that a sweep
-- never waits for a take. Parameters: the bound in milliseconds (NULL: the
-- server's clock), the batch size.
WITH bound AS (SELECT COALESCE($1::bigint, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS ms)
DELETE FROM {{.Table}}
WHERE expires < (SELECT ms FROM bound) AND ctid IN (
	SELECT o.ctid FROM {{.Table}} AS o, bound
	WHERE o.expires < bound.ms ORDER BY o.expires LIMIT $2 FOR UPDATE OF o SKIP LOCKED)
