-- A put, a PutNow or a Waiting: one call of the decision function.
-- Parameters: name, item, weight, time (NULL: server time), intervals,
-- limits, store, async.
SELECT allowed, rate, remaining, retry_after, reset_after, ts
FROM {{.Acquire}}($1, $2, $3, $4, $5, $6, $7, $8)
