-- One batch of the sweeper on the block table: the rows idle at the bound
-- (their block is over, the next would not escalate, no counted denial
-- counts), a batch at most, found by the idle_at index, skipping rows
-- another transaction has locked. idle_at is checked again on the row
-- deleted, in case a blocking call moved it since. Parameters: the bound
-- in milliseconds (NULL: the server's clock), the batch size.
WITH bound AS (SELECT COALESCE($1::bigint, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS ms)
DELETE FROM {{.Blocks}}
WHERE idle_at <= (SELECT ms FROM bound) AND key IN (
	SELECT o.key FROM {{.Blocks}} AS o, bound
	WHERE o.idle_at <= bound.ms ORDER BY o.idle_at LIMIT $2 FOR UPDATE OF o SKIP LOCKED)
