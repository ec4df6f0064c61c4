-- A refund or a charge under the log: one call of its settle function.
-- Parameters: key, n, time (NULL: server time), the refunded take's time
-- (NULL: a charge), intervals, limits, async.
SELECT allowed, rate, remaining, retry_after, reset_after, ts
FROM {{.Settle}}($1, $2, $3, $4, $5, $6, $7)
