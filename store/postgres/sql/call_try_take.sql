-- A take under the log that never waits for its key's lock: it tries the
-- lock (re-entrant, so the take function's own lock call then returns at
-- once) and calls the take function only if it got it. A key another
-- transaction holds gives busy, and zero values, having done nothing.
-- Parameters: as call_take.sql's.
SELECT NOT l.got AS busy, COALESCE(t.allowed, false), COALESCE(t.rate, 0),
	COALESCE(t.remaining, 0), COALESCE(t.retry_after, 0), COALESCE(t.reset_after, 0), COALESCE(t.ts, 0)
FROM (SELECT pg_try_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode($1::bytea, 'hex'), 0)) AS got OFFSET 0) AS l
LEFT JOIN LATERAL (SELECT * FROM {{.Take}}($1, $2, $3, $4, $5, $6, $7) WHERE l.got OFFSET 0) AS t ON true
