-- A take under GCRA or the counter that never waits for its key's lock, as
-- call_try_take.sql is under the log. Parameters: as call_take_state.sql's.
SELECT NOT l.got AS busy, COALESCE(t.allowed, false), COALESCE(t.rate, 0),
	COALESCE(t.remaining, 0), COALESCE(t.retry_after, 0), COALESCE(t.reset_after, 0), COALESCE(t.ts, 0)
FROM (SELECT pg_try_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode($1::bytea, 'hex'), 0)) AS got OFFSET 0) AS l
LEFT JOIN LATERAL (SELECT * FROM {{.TakeState}}($1, $2, $3, $4, $5, $6, $7, $8) WHERE l.got OFFSET 0) AS t ON true
