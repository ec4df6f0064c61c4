-- A put, a PutNow or a Waiting of a constant-state algorithm: one call of
-- its decision function. Parameters: name, algorithm (1: GCRA, 2: the
-- counter), weight, time (NULL: server time), intervals, limits, store,
-- async.
SELECT allowed, rate, remaining, retry_after, reset_after, ts
FROM {{.Decide}}($1, $2, $3, $4, $5, $6, $7, $8)
