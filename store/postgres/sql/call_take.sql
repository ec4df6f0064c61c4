-- A take or a check under the log: one call of its take function.
-- Parameters: key, n, time (NULL: server time), intervals, limits, take,
-- async.
SELECT allowed, rate, remaining, retry_after, reset_after, ts
FROM {{.Take}}($1, $2, $3, $4, $5, $6, $7)
